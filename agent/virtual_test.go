package agent

import (
	"context"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// fakeClock is a settable Clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// virtual drives an Agent in virtual time without goroutines: frames are
// delivered and judged at their Received time, and the ticker runs every
// tick in between, so a test is exact and an hour of stream takes seconds.
type virtual struct {
	now      time.Time
	a        *Agent
	clk      *fakeClock
	ctx      context.Context
	tick     time.Duration
	nextTick time.Time
	// onChange, when set, is called after every frame and tick with each
	// sensor's level.
	observe func(now time.Time)
}

func newVirtual(a *Agent, clk *fakeClock, start time.Time) *virtual {
	clk.set(start)
	for _, p := range a.pipes {
		p.judge.Start(start)
	}
	return &virtual{now: start, a: a, clk: clk, ctx: context.Background(), tick: a.tickInterval(), nextTick: start.Add(a.tickInterval())}
}

// advance runs the ticks up to and including t; time never goes back.
func (v *virtual) advance(t time.Time) {
	if t.Before(v.now) {
		t = v.now
	}
	for !v.nextTick.After(t) {
		v.clk.set(v.nextTick)
		v.a.tick(v.ctx, v.nextTick)
		if v.observe != nil {
			v.observe(v.nextTick)
		}
		v.nextTick = v.nextTick.Add(v.tick)
	}
	v.now = t
	v.clk.set(t)
}

// deliver hands f to sensor i at f's Received time and judges it.
func (v *virtual) deliver(i int, f sensors.Frame) {
	at := f.Head().Received
	v.advance(at)
	p := v.a.pipes[i]
	p.arrive(f)
	for {
		it, ok := p.q.pop()
		if !ok {
			break
		}
		p.process(v.ctx, it)
	}
	if v.observe != nil {
		v.observe(v.now)
	}
}
