package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readKeys lists every key the loader reads, from rawConfig's tags: a
// nested section's keys, and lists and maps as one key each.
func readKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for f := range t.Fields() {
		key := prefix + f.Tag.Get("mapstructure")
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, readKeys(f.Type, key+".")...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}

// Every key the loader reads is in the contract's configuration table and
// shown in config.example.yaml, and every key the contract names is read:
// a key documented but ignored, or read but undocumented, is a trap.
func TestContractDocumentsEveryKeyRead(t *testing.T) {
	read := readKeys(reflect.TypeFor[rawConfig](), "")
	contract, err := os.ReadFile("../docs/contract.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(contract)
	section = section[strings.Index(section, "## Configuration"):]
	section = section[:strings.Index(section[1:], "\n## ")+1]
	var documented []string
	for _, row := range regexp.MustCompile("(?m)^\\| (`[^|]+) \\|").FindAllStringSubmatch(section, -1) {
		for _, k := range regexp.MustCompile("`([a-z_.]+)`").FindAllStringSubmatch(row[1], -1) {
			documented = append(documented, k[1])
		}
	}
	example, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range read {
		if !slices.Contains(documented, k) {
			t.Errorf("config reads %s, which docs/contract.md does not list", k)
		}
		if leaf := k[strings.LastIndex(k, ".")+1:]; !strings.Contains(string(example), leaf+":") {
			t.Errorf("config reads %s, which config.example.yaml does not show", k)
		}
	}
	for _, k := range documented {
		if !slices.Contains(read, k) {
			t.Errorf("docs/contract.md lists %s, which config does not read", k)
		}
	}
	for _, k := range scalarKeys {
		if !slices.Contains(read, k) {
			t.Errorf("%s can be set from the environment but is not read", k)
		}
	}
}
