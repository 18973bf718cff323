package link

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// InstanceFile is the file in the settings directory that tells later starts where the
// running Softphone listens: {"addr":"127.0.0.1:port","token":"…"}, mode 0600. The token keeps
// other local users (who can reach loopback ports but not the file) from handing it links.
const InstanceFile = "instance.json"

// ErrNoInstance is returned by Send when no Softphone is running for the directory.
var ErrNoInstance = errors.New("link: no running Softphone")

const (
	maxMessage = maxLink + 256
	ioTimeout  = 3 * time.Second
)

type instanceInfo struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
}

type message struct {
	Token string `json:"token"`
	Link  string `json:"link"` // "" only raises the window
}

// Send hands link ("" to only raise the window) to the Softphone running for dir. It returns
// ErrNoInstance (wrapped) when there is none, or the file is stale: the caller then starts
// the Softphone itself.
func Send(ctx context.Context, dir, link string) error {
	data, err := os.ReadFile(filepath.Join(dir, InstanceFile))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoInstance, err)
	}
	var info instanceInfo
	if err := json.Unmarshal(data, &info); err != nil || info.Addr == "" {
		return fmt.Errorf("%w: unreadable %s", ErrNoInstance, InstanceFile)
	}
	d := net.Dialer{Timeout: ioTimeout}
	c, err := d.DialContext(ctx, "tcp", info.Addr)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoInstance, err) // it exited without removing the file
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	msg, err := json.Marshal(message{Token: info.Token, Link: link})
	if err != nil {
		return fmt.Errorf("encode link: %w", err)
	}
	if _, err := c.Write(append(msg, '\n')); err != nil {
		return fmt.Errorf("send link to the running Softphone: %w", err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("running Softphone did not answer: %w", err)
	}
	if reply != "ok\n" {
		return fmt.Errorf("running Softphone refused the link: %q", reply)
	}
	return nil
}

// Listener is the running Softphone's end: it accepts the links later starts send.
type Listener struct {
	ln    net.Listener
	path  string
	token string
	log   *slog.Logger

	closeOnce sync.Once
}

// Claim makes this process the Softphone for dir: it listens on a loopback port and writes
// InstanceFile (replacing a stale one). Call Serve, and Close on exit.
func Claim(dir string, log *slog.Logger) (*Listener, error) {
	if log == nil {
		log = slog.Default()
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("instance token: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("settings directory: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for links: %w", err)
	}
	l := &Listener{ln: ln, path: filepath.Join(dir, InstanceFile), token: hex.EncodeToString(raw[:]), log: log}
	data, _ := json.Marshal(instanceInfo{Addr: ln.Addr().String(), Token: l.token})
	// Written beside and renamed, so a starting Softphone never reads half a file.
	tmp, err := os.CreateTemp(dir, InstanceFile+".*")
	if err == nil {
		err = tmp.Chmod(0o600)
		if _, werr := tmp.Write(data); err == nil {
			err = werr
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), l.path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("write %s: %w", InstanceFile, err)
	}
	return l, nil
}

// Addr is the loopback address the listener accepts on.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Serve accepts connections until ctx ends or Close is called, and calls open with each
// link received ("" for a plain start that only raises the window). open runs on Serve's
// goroutine, one link at a time; it must not block long.
func (l *Listener) Serve(ctx context.Context, open func(link string)) {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.log.Warn("link listener stopped", "err", err)
			}
			l.Close() // waits for a Close under way, so the file is gone when Serve returns
			return
		}
		link, err := l.read(c)
		if err != nil {
			l.log.Warn("link from another start refused", "err", err)
			continue
		}
		open(link)
	}
}

// read takes one message from c and answers it; the connection is closed on return.
func (l *Listener) read(c net.Conn) (string, error) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	line, err := bufio.NewReaderSize(&limited{c: c, n: maxMessage}, maxMessage+16).ReadSlice('\n')
	if err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	var m message
	if err := json.Unmarshal(line, &m); err != nil {
		return "", fmt.Errorf("decode: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(m.Token), []byte(l.token)) != 1 {
		_, _ = c.Write([]byte("denied\n"))
		return "", errors.New("wrong token")
	}
	if _, err := c.Write([]byte("ok\n")); err != nil {
		return "", fmt.Errorf("answer: %w", err)
	}
	return m.Link, nil
}

// Close stops listening and removes InstanceFile when it is still ours.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		err = l.ln.Close()
		if data, rerr := os.ReadFile(l.path); rerr == nil {
			var info instanceInfo
			if json.Unmarshal(data, &info) == nil && info.Token == l.token {
				os.Remove(l.path)
			}
		}
	})
	return err
}

// limited reads at most n bytes from c.
type limited struct {
	c net.Conn
	n int
}

func (r *limited) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("message too long")
	}
	if len(p) > r.n {
		p = p[:r.n]
	}
	n, err := r.c.Read(p)
	r.n -= n
	return n, err
}
