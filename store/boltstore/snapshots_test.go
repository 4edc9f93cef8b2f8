package boltstore

import (
	"reflect"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
)

// TestCloneIncidentCoversEveryReference fails when incident.Incident gains
// a field that refers to memory of its own: cloneIncident must copy it, or
// a caller changing the incident it read would change the "before" that
// PutIncident and OnIncident see.
func TestCloneIncidentCoversEveryReference(t *testing.T) {
	cloned := map[string]bool{"Roles": true, "Actions": true}
	typ := reflect.TypeFor[incident.Incident]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface, reflect.Array, reflect.Chan, reflect.Func:
			if !cloned[f.Name] {
				t.Errorf("incident.Incident.%s (%s) is not copied by cloneIncident", f.Name, f.Type)
			}
		}
	}
	for _, name := range []string{"Roles", "Actions"} {
		if f, ok := typ.FieldByName(name); ok && f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() != reflect.Struct {
			t.Errorf("incident.Incident.%s holds %s: slices.Clone no longer copies it deeply", name, f.Type.Elem())
		}
	}
	in := &incident.Incident{Number: 1, Roles: map[string]string{"commander": "U1"}, Actions: []incident.ActionItem{{Text: "a"}}}
	cp := cloneIncident(in)
	in.Roles["commander"], in.Actions[0].Text = "U2", "b"
	if cp.Roles["commander"] != "U1" || cp.Actions[0].Text != "a" {
		t.Errorf("clone shares memory with the original: %+v", cp)
	}
}
