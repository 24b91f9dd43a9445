// Package benewake reads Benewake single-beam LiDARs: the TF-Luna (UART or
// I²C) and the TFmini-S (UART) as sensors.Range readings.
//
// UART (both models, 115200 baud 8N1 by default) carries 9-byte frames
// (TF-Luna manual SJ-PM-TF-Luna A05, appendix I; TFmini-S manual, §6.1):
//
//	0x59 0x59 DistL DistH StrL StrH TempL TempH Sum
//
// Dist is centimetres, Str the signal strength (TF-Luna "Amp"), Temp the
// chip temperature as Temp/8 − 256 °C, Sum the low byte of the sum of the
// first eight bytes. Decoder hunts for the header, checks the sum and
// resynchronises after corrupted bytes, counting both.
//
// On I²C (TF-Luna only, pin 5 grounded, address 0x10, up to 400 kHz) the
// driver reads registers 0x00–0x05 (appendix III): distance in cm, Amp,
// and temperature in 0.01 °C; in trigger mode it first writes 1 to
// TRIG_ONE_SHOT (0x24).
//
// A reading is unreliable when the strength is below 100 or saturated
// (0xFFFF; TF-Luna §6.4), and the TFmini-S sends negative distances (−1,
// −2, −4) for those cases: such readings are delivered with Distance 0
// ("no valid target"). Strength is normalised as min(Str, 30000)/30000,
// 30000 being the manual's ceiling for normal returns.
//
// Drivers accept the narrowest interface (io.Reader for UART, i2c.Bus for
// I²C) and never own the bus; Source adds reopening with backoff.
package benewake
