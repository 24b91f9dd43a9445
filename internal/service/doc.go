// Package service holds what makes trustd a well-behaved system service:
// the systemd notify protocol (READY=1, STATUS=, STOPPING=1 and a watchdog
// that is pinged only while the pipeline makes progress) and the process's
// logger (JSON lines for journald, a console format on a terminal).
package service
