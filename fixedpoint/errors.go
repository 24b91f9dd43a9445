package fixedpoint

import (
	"errors"
	"strconv"
)

// ErrRange reports a parameter outside its documented range.
var ErrRange = errors.New("value out of range")

// ShapeError reports slices whose lengths do not fit a kernel's shape.
// DenseI16 returns it instead of panicking; it is built without fmt so that
// the integer-only kernels pull no float formatting into their call graph.
type ShapeError struct {
	Op   string // kernel name
	What string // which length is wrong
	Got  int
	Want int
}

func (e *ShapeError) Error() string {
	return "fixedpoint: " + e.Op + ": " + e.What + " is " + strconv.Itoa(e.Got) + ", want " + strconv.Itoa(e.Want)
}

func shapeErr(op, what string, got, want int) error {
	return &ShapeError{Op: op, What: what, Got: got, Want: want}
}
