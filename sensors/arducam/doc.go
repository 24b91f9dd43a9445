// Package arducam reads an ArduCAM Mini 2MP (OV2640 sensor, ArduChip
// frame buffer) as 8-bit gray sensors.Image frames decoded from JPEG.
//
// Two buses (ArduCAM Mini 2MP datasheet; ArduChip register map):
//
//   - SPI, mode 0, ≤ 8 MHz, to the ArduChip. A register write is
//     [addr|0x80, value], a read [addr, 0] with the value in the second
//     byte. Registers used: 0x00 test (write 0x55, read it back: the wiring
//     check), 0x01 frames to capture − 1, 0x04 FIFO control (bit 0 clear
//     the capture-done flag, bit 1 start capture, bit 4 reset the read
//     pointer, bit 5 reset the write pointer), 0x41 status (bit 3 capture
//     done), 0x42–0x44 FIFO length bits 0–7, 8–15, 16–18 (at most 384 KiB
//     on the 2MP), 0x3C burst FIFO read (then clock out bytes).
//   - I²C/SCCB at 0x30 to the OV2640. Register 0xFF selects the bank (0 =
//     DSP, 1 = sensor). Bank 1 holds COM7 (0x12; bit 7 resets all
//     registers) and the product id PIDH/PIDL at 0x0A/0x0B (0x26, 0x41 or
//     0x42).
//
// A capture: clear the done flag, start, poll status bit 3, read the FIFO
// length, burst-read it in chunks (each chunk a new 0x3C transaction, the
// read pointer carries on), then cut the JPEG from SOI (FF D8) to EOI
// (FF D9): the FIFO may hold a dummy byte before SOI and padding after EOI.
//
// The sensor's JPEG configuration is a register table, Opts.Init. The
// built-in default (DefaultInit) is a minimal sequence composed from the
// OV2640 datasheet's register descriptions (JPEG output enable in
// IMAGE_MODE, output size in ZMOW/ZMOH, DSP reset around the change). It
// has not been verified on hardware here; a deployment that needs a
// particular resolution or quality should pass a table it has verified.
package arducam
