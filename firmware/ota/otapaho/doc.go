// Package otapaho adapts a paho MQTT client to ota.Client, turning paho's
// tokens into errors bounded by the caller's context.
package otapaho
