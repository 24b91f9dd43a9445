package main

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/version"
)

// TestMonitoringNamesExist runs trustd and checks that every trustagent_*
// metric the alerting rules and the Grafana dashboard in deploy/ query is on
// its /metrics, and that the daemon's own metrics have their values.
func TestMonitoringNamesExist(t *testing.T) {
	msgs := fakeSystemd(t)
	dir := t.TempDir()
	mqttPort, httpPort := freePorts(t)
	cfgPath := writeConfig(t, dir, mqttPort, httpPort, "100ms")
	stderr := startTrustd(t, cfgPath)
	waitFor(t, msgs, "READY=1", 10*time.Second)

	// Wait for a frame and the broker connection, so that every series
	// has a sample.
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", httpPort)
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, body = httpGet(t, url)
		if strings.Contains(body, `trustagent_last_frame_age_seconds{sensor="lidar0"}`) && strings.Contains(body, "trustagent_mqtt_connected 1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frame age or MQTT connection on /metrics:\n%s\nstderr:\n%s", body, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		have[strings.FieldsFunc(l, func(r rune) bool { return r == '{' || r == ' ' })[0]] = true
	}
	name := regexp.MustCompile(`trustagent_[a-z0-9_]+`)
	for _, file := range []string{"../../deploy/prometheus/trustagent.rules.yml", "../../deploy/grafana/trustagent.json"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		names := name.FindAllString(string(b), -1)
		if len(names) < 5 {
			t.Fatalf("%s names %d metrics", file, len(names))
		}
		for _, n := range names {
			if !have[n] {
				t.Errorf("%s queries %s, which trustd's /metrics does not have", file, n)
			}
		}
	}
	for _, want := range []string{
		fmt.Sprintf(`trustagent_build_info{goversion=%q,version=%q} 1`, runtime.Version(), version.String()),
		"trustagent_outbox_depth ", "trustagent_outbox_disk_ok 1", "trustagent_outbox_dropped_total 0",
		"trustagent_mqtt_connection_losses_total 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
