package signaling

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sippRegister = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register">
  <send retrans="500"><![CDATA[
REGISTER sip:demo.vaihde.local SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@demo.vaihde.local>;tag=[call_number]
To: <sip:[field0]@demo.vaihde.local>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[field0]@[local_ip]:[local_port]>
Expires: 600
Max-Forwards: 70
User-Agent: SIPp
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:demo.vaihde.local SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@demo.vaihde.local>;tag=[call_number]
To: <sip:[field0]@demo.vaihde.local>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[field0]@[local_ip]:[local_port]>
[field1]
Expires: 600
Max-Forwards: 70
User-Agent: SIPp
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
`

// TestIntegrationSIPpRegister registers the ten demo users from SIPp, a third-party client
// that knows only MD5 and fails on a SHA-256 challenge; the default configuration recognises
// its User-Agent and offers it MD5 alone.
func TestIntegrationSIPpRegister(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed")
	}
	ts := startServerWith(t, seededDB(t), nil, nil)

	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("SEQUENTIAL\n")
	for i := 1001; i <= 1010; i++ {
		fmt.Fprintf(&csv, "%d;[authentication username=%d password=demo%d]\n", i, i, i)
	}
	os.WriteFile(filepath.Join(dir, "reg.xml"), []byte(sippRegister), 0o600)
	os.WriteFile(filepath.Join(dir, "users.csv"), []byte(csv.String()), 0o600)
	// A free local UDP port for SIPp.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, ts.Addr("udp"), "-sf", "reg.xml", "-inf", "users.csv",
		"-m", "200", "-r", "100", "-l", "50", "-i", "127.0.0.1", "-p", fmt.Sprint(port), "-nostdin", "-timeout", "50", "-trace_err")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(dir, "*errors.log"))
		var errs []byte
		if len(logs) > 0 {
			errs, _ = os.ReadFile(logs[0])
		}
		t.Fatalf("sipp: %v\n%s\n%s", err, tail(string(out), 1500), tail(string(errs), 1500))
	}
	for i := int64(1); i <= 10; i++ {
		tg, _ := ts.Targets(context.Background(), i)
		if len(tg) != 1 || tg[0].UserAgent != "SIPp" || tg[0].Destination != fmt.Sprintf("127.0.0.1:%d", port) {
			t.Fatalf("user %d targets %+v", i, tg)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
