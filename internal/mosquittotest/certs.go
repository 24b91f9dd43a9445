package mosquittotest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI holds PEM files generated for a test: a CA, a server certificate for
// 127.0.0.1 signed by it, a client certificate signed by it, and a client
// certificate signed by a second, untrusted CA.
type PKI struct {
	CAFile                    string
	ServerCert, ServerKey     string
	ClientCert, ClientKey     string
	WrongClientCert, WrongKey string
	OtherCAFile               string // the untrusted CA
}

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// GeneratePKI writes the files into a temporary directory.
func GeneratePKI(tb testing.TB) PKI {
	tb.Helper()
	dir := tb.TempDir()
	ca := newCA(tb, "trustagent test CA")
	other := newCA(tb, "untrusted CA")
	p := PKI{
		CAFile:      writeCert(tb, dir, "ca.pem", ca.cert),
		OtherCAFile: writeCert(tb, dir, "other-ca.pem", other.cert),
	}
	p.ServerCert, p.ServerKey = leaf(tb, dir, "server", ca, true)
	p.ClientCert, p.ClientKey = leaf(tb, dir, "client", ca, false)
	p.WrongClientCert, p.WrongKey = leaf(tb, dir, "wrong-client", other, false)
	return p
}

func nextSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n
}

func newCA(tb testing.TB, name string) issuer {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return issuer{cert, key}
}

func leaf(tb testing.TB, dir, name string, ca issuer, server bool) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	certFile = writeCert(tb, dir, name+".pem", cert)
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	keyFile = filepath.Join(dir, name+".key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return certFile, keyFile
}

func writeCert(tb testing.TB, dir, name string, c *x509.Certificate) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
