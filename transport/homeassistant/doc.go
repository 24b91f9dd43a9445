// Package homeassistant makes the MQTT discovery messages that let Home
// Assistant show trustd's trust flags without configuration: one
// binary_sensor per sensor and one for the robot, of device class
// "problem" (on: not trusted), on the retained state and summary topics
// trustd publishes anyway, available while <prefix>/status is "online".
//
// See https://www.home-assistant.io/integrations/binary_sensor.mqtt/ and
// https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery for the
// keys.
package homeassistant
