package jsonschema

import "testing"

func TestParseRefusesUnsupportedKeywords(t *testing.T) {
	for _, s := range []string{
		`{"type":"object","oneOf":[]}`,
		`{"properties":{"a":{"anyOf":[]}}}`,
		`{"additionalProperties":{"type":"string"}}`,
		`{"items":[{"type":"string"}]}`,
		`not json`,
	} {
		if _, err := Parse([]byte(s)); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
}

func TestValidate(t *testing.T) {
	s, err := Parse([]byte(`{
		"type":"object","additionalProperties":false,"required":["n","t"],
		"properties":{
			"n":{"type":"integer","minimum":1,"maximum":3},
			"f":{"type":"number"},
			"t":{"type":"string","format":"date-time"},
			"e":{"$ref":"#/$defs/e"},
			"a":{"type":"array","items":{"type":"string","minLength":1,"maxLength":2,"pattern":"^[a-z]+$"}}
		},
		"$defs":{"e":{"enum":["x","y"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ok := `{"n":2,"f":1,"t":"2026-11-29T05:00:00.5Z","e":"x","a":["ab"]}`
	if errs := s.Validate([]byte(ok)); len(errs) != 0 {
		t.Fatalf("%s: %v", ok, errs)
	}
	for _, bad := range []string{
		`{"t":"2026-11-29T05:00:00Z"}`,
		`{"n":2.5,"t":"2026-11-29T05:00:00Z"}`,
		`{"n":4,"t":"2026-11-29T05:00:00Z"}`,
		`{"n":1,"t":"29/11/2026"}`,
		`{"n":1,"t":"2026-11-29T05:00:00Z","e":"z"}`,
		`{"n":1,"t":"2026-11-29T05:00:00Z","a":["abc"]}`,
		`{"n":1,"t":"2026-11-29T05:00:00Z","a":["A"]}`,
		`{"n":1,"t":"2026-11-29T05:00:00Z","x":1}`,
		`{"n":1,"t":"2026-11-29T05:00:00Z","f":"1"}`,
		`[]`,
	} {
		if errs := s.Validate([]byte(bad)); len(errs) == 0 {
			t.Errorf("%s: valid", bad)
		}
	}
}
