package mqtt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// tlsConfig builds the TLS configuration from the files in c; nil for
// plain TCP.
func tlsConfig(c Config) (*tls.Config, error) {
	u, err := url.Parse(c.Broker)
	if err != nil || !isTLS(u.Scheme) {
		return nil, err
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if tc.ServerName == "" {
		tc.ServerName = u.Hostname()
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, &ConfigError{Field: "ca_file", Err: fmt.Errorf("ca_file: %w", err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fieldErr("ca_file", "ca_file %s: no PEM certificate in it", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, &ConfigError{Field: "cert_file", Err: fmt.Errorf("cert_file/key_file: %w", err)}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// password returns the password from the file or environment variable named
// in c; "" when none is configured. The value is never logged.
func password(c Config) (string, error) {
	switch {
	case c.PasswordFile != "":
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return "", &ConfigError{Field: "password_file", Err: fmt.Errorf("password_file: %w", err)}
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimRight(line, "\r")
		if line == "" {
			return "", fieldErr("password_file", "password_file %s: empty first line", c.PasswordFile)
		}
		return line, nil
	case c.PasswordEnv != "":
		v, ok := os.LookupEnv(c.PasswordEnv)
		if !ok || v == "" {
			return "", fieldErr("password_env", "password_env: environment variable %s is not set", c.PasswordEnv)
		}
		return v, nil
	}
	return "", nil
}

// ConnectError is returned when the broker cannot be reached or refuses
// the connection. Hint says what to check, when the cause is recognisable.
type ConnectError struct {
	Broker string
	Err    error
	Hint   string
}

func (e *ConnectError) Error() string {
	s := fmt.Sprintf("mqtt: connect to %s: %v", e.Broker, e.Err)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

func (e *ConnectError) Unwrap() error { return e.Err }

// hint recognises the common causes of a failed connection.
func hint(err error) string {
	var unk x509.UnknownAuthorityError
	var host x509.HostnameError
	var inv x509.CertificateInvalidError
	msg := err.Error()
	switch {
	case errors.As(err, &unk):
		return "the broker's certificate is not signed by ca_file"
	case errors.As(err, &host):
		return "the broker's certificate does not name this host; set server_name"
	case errors.As(err, &inv):
		return "the broker's certificate is invalid or expired"
	case strings.Contains(msg, "tls: unknown certificate authority"),
		strings.Contains(msg, "tls: bad certificate"),
		strings.Contains(msg, "tls: certificate required"),
		strings.Contains(msg, "tls: unknown certificate"):
		return "the broker refused this robot's client certificate (cert_file/key_file): not signed by a CA it trusts, or missing"
	case strings.Contains(msg, "not Authorized"), strings.Contains(msg, "bad user name or password"):
		return "the broker refused the username or password"
	case strings.Contains(msg, "connection refused"):
		return "no broker listening at that address"
	case strings.Contains(msg, "EOF"), strings.Contains(msg, "connection reset"), strings.Contains(msg, "broken pipe"):
		return "the broker closed the connection: TLS required, client certificate refused, or client id in use"
	}
	return ""
}

// probeTLS repeats the TLS handshake alone, after a connection attempt ended
// in a bare reset or EOF, to learn the broker's reason: with TLS 1.3 the
// broker's verdict on the client certificate comes after the client's side
// of the handshake, and a broker may close the socket before the alert is
// read. It returns nil when the handshake and a short read raise no TLS error.
func probeTLS(ctx context.Context, broker string, tc *tls.Config, timeout time.Duration) error {
	u, err := url.Parse(broker)
	if err != nil || tc == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := tls.Dialer{Config: tc}
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	_, err = conn.Read(make([]byte, 1))
	var alert tls.AlertError
	if errors.As(err, &alert) || err != nil && strings.Contains(err.Error(), "remote error: tls:") {
		return err
	}
	return nil
}
