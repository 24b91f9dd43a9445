// Package lidarlite reads a Garmin LIDAR-Lite v3 over I²C as sensors.Range.
//
// The device answers at 7-bit address 0x62 (3.3 V or 5 V logic; 5 V supply
// with a 680 µF capacitor across it, per the v3 operation manual). A
// measurement, as in the manual's "Basic I²C read sequence":
//
//  1. write 0x04 (with receiver bias correction) or 0x03 (without) to
//     ACQ_COMMAND (0x00);
//  2. read STATUS (0x01) until bit 0 (busy) clears;
//  3. read two bytes from 0x8f (FULL_DELAY_HIGH 0x0f with the
//     auto-increment bit 7): the distance in centimetres, high byte first.
//
// Register reads are a write of the register address, a stop, then a read
// (the v3 does not take a repeated start), so each is two I²C
// transactions. Bias correction is done on the first measurement and then
// every BiasEvery measurements, as the manual recommends (every 100).
//
// STATUS bits: 0 busy, 1 reference overflow, 2 signal overflow, 3 invalid
// signal (no target), 4 secondary return, 5 health (1 = good), 6 process
// error. A reading with invalid signal, process error or bad health is
// delivered with Distance 0 and Strength 0; valid readings have Strength 1
// (the v3 reports no calibrated signal strength). TempC is NaN.
package lidarlite
