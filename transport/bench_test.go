package transport

import "testing"

// BenchmarkStateMessage is the agent's side of the publish path: validate
// a State, fill the derived fields, marshal the JSON.
func BenchmarkStateMessage(b *testing.B) {
	tp := Topics{Prefix: DefaultPrefix("r1")}
	st := sampleState()
	b.ReportAllocs()
	for b.Loop() {
		st.Values = nil
		m, err := tp.StateMessage(st)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(m.Payload)))
	}
}
