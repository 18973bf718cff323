package main

import (
	"image"
	"image/color"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-config-dir", "/tmp/x", "-server", "127.0.0.1:5060", "-api", "http://127.0.0.1:8080",
		"-user", "1001", "-password", "pw", "-screenshot", "a.png", "-screenshot-after", "2s", "-dial", "1002", "-no-audio"})
	if err != nil {
		t.Fatal(err)
	}
	if o.configDir != "/tmp/x" || o.server != "127.0.0.1:5060" || o.apiURL != "http://127.0.0.1:8080" || o.user != "1001" ||
		o.password != "pw" || o.screenshot != "a.png" || o.screenshotAfter != 2*time.Second || o.dial != "1002" || !o.noAudio {
		t.Fatalf("parsed %+v", o)
	}
	p, err := parseFlags([]string{"-presence-panel", "-search", "myy", "-chat", "1002", "-idle-after", "1m", "-tab", "colleagues"})
	if err != nil || !p.presencePanel || p.search != "myy" || p.chat != "1002" || p.idleAfter != time.Minute || p.tab != "colleagues" {
		t.Fatalf("people flags %+v %v", p, err)
	}
	if _, err := parseFlags([]string{"-bogus"}); err == nil {
		t.Fatal("unknown flag accepted")
	}
	d, err := parseFlags(nil)
	if err != nil || d.configDir == "" || d.screenshotAfter != 3*time.Second || d.idleAfter != 5*time.Minute {
		t.Fatalf("defaults %+v %v", d, err)
	}
}

func TestBlank(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 20, 20))
	if !blank(img) {
		t.Fatal("all-black image should be blank")
	}
	img.Set(9, 9, color.White) // on the sampling grid
	if blank(img) {
		t.Fatal("an image with content is not blank")
	}
	if !blank(image.NewRGBA(image.Rectangle{})) {
		t.Fatal("empty image is blank")
	}
}
