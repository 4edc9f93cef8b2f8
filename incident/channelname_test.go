package incident

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	tests := []struct {
		title string
		max   int
		want  string
	}{
		{"Déjà vu: DB down!!", 80, "deja-vu-db-down"},
		{"Checkout 500s", 80, "checkout-500s"},
		{"  --leading and trailing--  ", 80, "leading-and-trailing"},
		{"snake_case_kept", 80, "snake_case_kept"},
		{"a - b -- c", 80, "a-b-c"},
		{"Straße Œuvre Ærø Łódź Þing", 80, "strasse-oeuvre-aero-lodz-thing"},
		{"ÉCOLE FERMÉE", 80, "ecole-fermee"},
		{"数据库 down", 80, "down"},
		{"🔥🔥🔥", 80, ""},
		{"", 80, ""},
		{"database is down", 8, "database"},
		{"database is down", 9, "database"}, // no trailing "-"
		{"database is down", 11, "database-is"},
		{"database is down", 13, "database-is"}, // "database-is-d" would end mid-word
		{"db is down", 5, "db-is"},
		{"db verylongword", 8, "db-veryl"}, // the only boundary is too early
		{strings.Repeat("x", 100), 10, strings.Repeat("x", 10)},
		{"ßßß", 3, "sss"},
		{"Checkout 500s <@U0BOB2> paged", 80, "checkout-500s-paged"},
		{"<@U0BOB2>", 80, ""},
		{"queue stuck in <#C0OPS1|ops-queue>", 80, "queue-stuck-in-ops-queue"},
		{"see <#C0OPS1> now", 80, "see-now"},
		{"a < b > c <@ unterminated", 80, "a-b-c-unterminated"},
		{"anything", 0, ""},
		{"anything", -1, ""},
	}
	for _, tt := range tests {
		if got := Slug(tt.title, tt.max); got != tt.want {
			t.Errorf("Slug(%q, %d) = %q, want %q", tt.title, tt.max, got, tt.want)
		}
	}
}

func TestChannelName(t *testing.T) {
	noise := strings.Repeat("🔥 !? ", 100) // 500 characters of emoji, spaces and punctuation
	tests := []struct {
		prefix string
		n      uint64
		title  string
		want   string
	}{
		{"inc", 7, "Déjà vu: DB down!!", "inc-7-deja-vu-db-down"},
		{"inc", 1, "Checkout is failing", "inc-1-checkout-is-failing"},
		{"inc", 7, noise, "inc-7"},
		{"inc", 7, "", "inc-7"},
		{"incident_", 42, "x", "incident_-42-x"},
		{"inc", 12, strings.Repeat("abcd ", 40), "inc-12-" + strings.TrimSuffix(strings.Repeat("abcd-", 14), "-")},
		{"inc", 18446744073709551615, strings.Repeat("a", 200), "inc-18446744073709551615-" + strings.Repeat("a", 55)},
	}
	for _, tt := range tests {
		got := ChannelName(tt.prefix, tt.n, tt.title)
		if got != tt.want {
			t.Errorf("ChannelName(%q, %d, %.20q…) = %q, want %q", tt.prefix, tt.n, tt.title, got, tt.want)
		}
		if !ValidChannelName(got) {
			t.Errorf("ChannelName(%q, %d, %.20q…) = %q is not a valid channel name", tt.prefix, tt.n, tt.title, got)
		}
	}
}

func TestChannelNameWithSuffix(t *testing.T) {
	long := "inc-3-" + strings.Repeat("x", 74) // exactly 80
	dashed := "inc-3-" + strings.Repeat("y", 71) + "-zz"
	tests := []struct {
		base    string
		attempt int
		want    string
	}{
		{"inc-7-db-down", 2, "inc-7-db-down-2"},
		{"inc-7-db-down", 13, "inc-7-db-down-13"},
		{"inc-7-db-down", 1, "inc-7-db-down"},
		{"inc-7-db-down", 0, "inc-7-db-down"},
		{long, 2, long[:78] + "-2"},
		{long, 100, long[:76] + "-100"},
		{dashed, 2, "inc-3-" + strings.Repeat("y", 71) + "-2"}, // "-z" cut, dangling "-" dropped
	}
	for _, tt := range tests {
		got := ChannelNameWithSuffix(tt.base, tt.attempt)
		if got != tt.want {
			t.Errorf("ChannelNameWithSuffix(%q, %d) = %q, want %q", tt.base, tt.attempt, got, tt.want)
		}
		if !ValidChannelName(got) {
			t.Errorf("ChannelNameWithSuffix(%q, %d) = %q is not valid", tt.base, tt.attempt, got)
		}
	}
}

func TestValidChannelName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"inc-1", true},
		{"a", true},
		{"_x_", true},
		{strings.Repeat("a", 80), true},
		{"", false},
		{strings.Repeat("a", 81), false},
		{"Inc-1", false},
		{"inc 1", false},
		{"inc.1", false},
		{"déjà", false},
		{"---", false},
		{"_-_", false},
	}
	for _, tt := range tests {
		if got := ValidChannelName(tt.name); got != tt.want {
			t.Errorf("ValidChannelName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

var fuzzPrefix = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,20}$`)

func FuzzChannelName(f *testing.F) {
	f.Add("inc", uint64(7), "Déjà vu: DB down!!")
	f.Add("inc", uint64(1), strings.Repeat("🔥 !? ", 100))
	f.Add("a-", uint64(18446744073709551615), strings.Repeat("x", 100))
	f.Fuzz(func(t *testing.T, prefix string, n uint64, title string) {
		if !fuzzPrefix.MatchString(prefix) {
			t.Skip()
		}
		name := ChannelName(prefix, n, title)
		if !ValidChannelName(name) {
			t.Fatalf("ChannelName(%q, %d, %q) = %q is not valid", prefix, n, title, name)
		}
		base := prefix + "-" + strconv.FormatUint(n, 10)
		if name != base && !strings.HasPrefix(name, base+"-") {
			t.Fatalf("ChannelName(%q, %d, %q) = %q lost its prefix or number", prefix, n, title, name)
		}
		if strings.HasSuffix(name, "-") && !strings.HasSuffix(prefix, "-") {
			t.Fatalf("ChannelName(%q, %d, %q) = %q ends in -", prefix, n, title, name)
		}
		for _, attempt := range []int{2, 9, 10, 1000, 1 << 30} {
			if s := ChannelNameWithSuffix(name, attempt); !ValidChannelName(s) {
				t.Fatalf("ChannelNameWithSuffix(%q, %d) = %q is not valid", name, attempt, s)
			}
		}
	})
}
