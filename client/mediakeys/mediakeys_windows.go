//go:build windows

package mediakeys

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// Windows sends WM_APPCOMMAND media keys only to the focused window. RegisterHotKey on the
// media virtual keys receives them globally, on a thread's message queue, but also takes them
// from music players: the keys are registered only while a call rings or lasts (setActive).

var (
	user32                 = syscall.NewLazyDLL("user32.dll")
	kernel32               = syscall.NewLazyDLL("kernel32.dll")
	procRegisterHotKey     = user32.NewProc("RegisterHotKey")
	procUnregisterHotKey   = user32.NewProc("UnregisterHotKey")
	procGetMessageW        = user32.NewProc("GetMessageW")
	procPeekMessageW       = user32.NewProc("PeekMessageW")
	procPostThreadMessageW = user32.NewProc("PostThreadMessageW")
	procGetCurrentThreadID = kernel32.NewProc("GetCurrentThreadId")
)

const (
	wmQuit      = 0x0012
	wmHotKey    = 0x0312
	wmUser      = 0x0400
	wmSetActive = 0x8000 + 1 // WM_APP+1: wParam 1 registers the keys, 0 unregisters them
	pmNoRemove  = 0
	modNoRepeat = 0x4000
)

// hotKeys are the media virtual keys, their hot-key IDs and actions.
var hotKeys = []struct {
	id, vk uintptr
	a      Action
}{
	{1, 0xB3, PlayPause}, // VK_MEDIA_PLAY_PAUSE
	{2, 0xB2, Stop},      // VK_MEDIA_STOP
	{3, 0xB0, Next},      // VK_MEDIA_NEXT_TRACK
}

// winMsg is Windows' MSG.
type winMsg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	ptX     int32
	ptY     int32
	private uint32
}

type hotKeyListener struct {
	tid  uintptr
	done chan struct{}
	once sync.Once
}

func start(_ context.Context, o Options) (backend, error) {
	if err := procRegisterHotKey.Find(); err != nil {
		return nil, fmt.Errorf("media keys: %w", err)
	}
	h := &hotKeyListener{done: make(chan struct{})}
	ready := make(chan uintptr)
	go func() { // owned by h: ends at WM_QUIT, posted by close
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(h.done)
		tid, _, _ := procGetCurrentThreadID.Call()
		var m winMsg
		// Create the thread's message queue before anyone posts to it.
		procPeekMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, wmUser, wmUser, pmNoRemove)
		ready <- tid
		registered := false
		set := func(on bool) {
			if on == registered {
				return
			}
			for _, k := range hotKeys {
				if on {
					if r, _, err := procRegisterHotKey.Call(0, k.id, modNoRepeat, k.vk); r == 0 {
						o.Logger.Info("media keys: key taken by another app", "key", k.a, "err", err)
					}
				} else {
					procUnregisterHotKey.Call(0, k.id)
				}
			}
			registered = on
		}
		defer set(false)
		for {
			r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 { // WM_QUIT or an error
				return
			}
			switch m.message {
			case wmHotKey:
				for _, k := range hotKeys {
					if k.id == m.wParam {
						o.OnAction(k.a)
					}
				}
			case wmSetActive:
				set(m.wParam == 1)
			}
		}
	}()
	h.tid = <-ready
	o.Logger.Info("media keys: global media hot keys while a call lasts")
	return h, nil
}

func (h *hotKeyListener) setActive(active bool) {
	var w uintptr
	if active {
		w = 1
	}
	select {
	case <-h.done:
	default:
		procPostThreadMessageW.Call(h.tid, wmSetActive, w, 0)
	}
}

func (h *hotKeyListener) close() error {
	h.once.Do(func() { procPostThreadMessageW.Call(h.tid, wmQuit, 0, 0) })
	<-h.done
	return nil
}
