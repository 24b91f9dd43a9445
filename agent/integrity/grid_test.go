package integrity_test

import (
	"github.com/sensortrust/trustagent/agent/integrity"
	"github.com/sensortrust/trustagent/sensors"
)

// dirtCheck and veilCheck run a check on images, taking their block means
// as the judge does: a frame without means is not checked.
type dirtCheck struct {
	b integrity.BlockMeans
	c integrity.LensDirt
}

func (d *dirtCheck) Check(im *sensors.Image) integrity.DirtResult {
	if !d.b.Of(im) {
		return integrity.DirtResult{}
	}
	return d.c.Check(&d.b)
}

type veilCheck struct {
	b integrity.BlockMeans
	c integrity.Veil
}

func (v *veilCheck) Check(im *sensors.Image) integrity.VeilResult {
	if !v.b.Of(im) {
		return integrity.VeilResult{}
	}
	return v.c.Check(&v.b)
}
