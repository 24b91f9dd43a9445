// Package rplidar reads Slamtec RPLIDAR A1 and A2 2D laser scanners over a
// serial byte stream (115200 baud 8N1 for A1 and A2M8; use go.bug.st/serial,
// see OpenSerial) and assembles sensors.Scan revolutions with one ring.
//
// Protocol (Slamtec "RPLIDAR Interface Protocol and Application Notes",
// LR001): requests are 0xA5 CMD [SIZE PAYLOAD CHECKSUM], the checksum being
// the XOR of every byte before it. Answers start with a 7-byte response
// descriptor 0xA5 0x5A LEN(30 bits)|MODE(2 bits) TYPE. Implemented:
//
//	STOP 0x25, RESET 0x40  no answer
//	SCAN 0x20              descriptor A5 5A 05 00 00 40 81, then 5-byte samples until STOP
//	GET_INFO 0x50          20 bytes: model, firmware minor, major, hardware, serial[16]
//	GET_HEALTH 0x52        3 bytes: status (0 good, 1 warning, 2 error), error code
//	SET_MOTOR_PWM 0xF0     A2 only: 2-byte PWM duty 0–1023 (660 nominal)
//
// A scan sample is
//
//	byte 0: bit 0 S (start of a new revolution), bit 1 !S, bits 2–7 quality
//	byte 1: bit 0 C (always 1), bits 1–7 angle_q6 bits 0–6
//	byte 2: angle_q6 bits 7–14     (angle = angle_q6/64 degrees, clockwise)
//	bytes 3–4: distance_q2          (distance = distance_q2/4 mm; 0 = no return)
//
// A sample is accepted when S ≠ !S, C = 1 and the angle is below 360°;
// otherwise one byte is dropped and the decoder hunts again (counted as a
// resync). A revolution ends at the next sample with S set.
//
// Motor: the A1's motor is switched by the USB adapter's DTR line (DTR
// cleared = running); the A2 also takes a PWM duty by SET_MOTOR_PWM. The
// driver uses DTR when the stream has SetDTR (serial ports do) and PWM when
// Opts.Motor says so.
//
// Points: azimuth in radians clockwise from the sensor's forward (0°)
// direction, x = r·sin(az), y = r·cos(az), z = 0, intensity quality/63,
// per-point Offset from the time the revolution's first sample arrived.
package rplidar
