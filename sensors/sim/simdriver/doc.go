// Package simdriver registers the simulator as trustd drivers: sim-lidar
// and sim-camera, simulated sensors looking at the world of package sim,
// optionally driven through a fault scenario of package faults. It is a
// package of its own because faults' tests use sim, so sim cannot import
// faults.
//
// Sensors with the same seed look at the same world (a world is a pure
// function of its seed), and every sensor of one configuration starts its
// drive and its scenario at sensorreg.Sensor.Start, so that a fault
// scheduled on two sensors hits both together.
package simdriver
