package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Prompt keys of packaging/prompts.tsv the queue flows play.
const (
	keyPosition         = "queue_position"
	keyEstimate         = "queue_estimate"
	keyMinute           = "queue_minute"
	keyMinutes          = "queue_minutes"
	keyUnderMinute      = "queue_under_minute"
	keyProgress         = "queue_progress"
	keyCallbackOffer    = "queue_callback_offer"
	keyCallbackNumber   = "queue_callback_number"
	keyCallbackConfirm  = "queue_callback_confirm"
	keyCallbackDone     = "queue_callback_registered"
	keyCallbackAgent    = "queue_callback_agent"
	keyAgentLoggedIn    = "queue_agent_logged_in"
	keyAgentLoggedOut   = "queue_agent_logged_out"
	keyAgentNotMember   = "queue_agent_not_member"
	callbackKeyTimeout  = 5 * time.Second
	defaultLang         = "fi"
	busyToneRepetitions = 4
)

// PromptKeys are the generated prompts the queue flows use (each has a row in
// packaging/prompts.tsv).
var PromptKeys = []string{keyPosition, keyEstimate, keyMinute, keyMinutes, keyUnderMinute, keyProgress,
	keyCallbackOffer, keyCallbackNumber, keyCallbackConfirm, keyCallbackDone, keyCallbackAgent,
	keyAgentLoggedIn, keyAgentLoggedOut, keyAgentNotMember}

// Looper is mediaapp.Looper, kept under this name for the package's callers.
type Looper = mediaapp.Looper

// Caller is who calls a queue.
type Caller struct {
	Number string // as the organisation dials it back (E.164 or an extension); "" = withheld
	Name   string
	Lang   string // prompt language, "" = Finnish
}

// Flow returns the call flow of the queue that answers number in the organisation
// (store.ErrNotFound when none does).
func (e *Engine) Flow(ctx context.Context, orgID int64, number string, c Caller) (mediaapp.Flow, error) {
	o, err := e.ensureOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	q := o.byNumber[number]
	e.mu.Unlock()
	if q == nil {
		return nil, fmt.Errorf("queue number %q: %w", number, store.ErrNotFound)
	}
	return e.QueueFlow(orgID, q.cfg.ID, c), nil
}

// QueueFlow returns the call flow of queue queueID: the caller enters the queue (or overflows),
// hears the announcements and music, may ask for a callback, and is rung through to agents
// on the same media stream.
func (e *Engine) QueueFlow(orgID, queueID int64, c Caller) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		return e.runFlow(ctx, ch, orgID, queueID, c)
	}
}

type action int

const (
	actNone action = iota
	actOffer
	actOverflow
	actProgress
	actHangup
)

func (e *Engine) runFlow(ctx context.Context, ch mediaapp.Channel, orgID, queueID int64, c Caller) error {
	q, err := e.queueOf(ctx, orgID, queueID)
	if err != nil {
		return err
	}
	lang := langOr(c.Lang)
	var fx effects
	e.mu.Lock()
	now := e.clock.Now()
	target, reason, ok := e.admit(q, now)
	if !ok {
		e.finish(q, store.QueueCall{OrgID: orgID, QueueID: queueID, Caller: c.Number, Entered: now, Ended: now, Outcome: "overflow"}, &fx)
		e.mu.Unlock()
		e.run(&fx)
		e.log.Info("queue: overflow at entry", "org", orgID, "queue", queueID, "reason", reason, "target", target)
		return e.overflowTo(ctx, ch, target)
	}
	e.seq++
	en := &entry{seq: e.seq, q: q, caller: c.Number, name: c.Name, lang: lang, entered: now, tried: map[int64]bool{}}
	q.insert(en)
	e.updateRush(q, now)
	if d := q.cfg.MaxWait; d > 0 {
		en.maxTimer = e.clock.AfterFunc(d, func() { e.timeUp(en) })
	}
	e.dispatch(q, &fx)
	fx.queue(e, q)
	cfg := q.cfg
	e.mu.Unlock()
	e.run(&fx)

	done := false // the caller reached an agent, overflowed or became a callback
	defer func() {
		if !done {
			e.leave(en, "abandoned")
		}
	}()
	music := mediaapp.HoldMusic()
	if cfg.Music != "" {
		if cl := e.clips(orgID, lang, cfg.Music); len(cl) == 1 {
			music = cl[0]
		}
	}
	if cfg.EntryPrompt != "" {
		if err := e.play(ctx, ch, e.clips(orgID, lang, cfg.EntryPrompt)...); err != nil {
			return nil
		}
	}
	announce := func(progress bool) (bool, error) {
		var keys []string
		if progress {
			p := cfg.ProgressPrompt
			if p == "" {
				p = keyProgress
			}
			keys = append(keys, p)
		}
		e.mu.Lock()
		offered := en.offer != nil || en.overflow != nil
		now := e.clock.Now()
		pos := q.position(en)
		est := e.estimate(q, pos, now)
		offerCB := !offered && e.mayOfferCallback(q, en, now)
		e.mu.Unlock()
		if !offered {
			if cfg.SayPosition {
				keys = append(keys, positionKeys(lang, pos)...)
			}
			if cfg.SayEstimate {
				keys = append(keys, estimateKeys(lang, est)...)
			}
		}
		if len(keys) > 0 {
			if err := e.play(ctx, ch, e.clips(orgID, lang, keys...)...); err != nil {
				return false, err
			}
		}
		if !offerCB {
			return false, nil
		}
		return e.offerCallback(ctx, ch, en, c.Number, lang)
	}
	if cb, err := announce(false); err != nil {
		return nil
	} else if cb {
		done = true
		return ch.Hangup(ctx)
	}
	e.armProgress(en)
	for {
		switch act := e.await(ctx, ch, en, music); act {
		case actHangup:
			return nil
		case actOverflow:
			e.mu.Lock()
			o := en.overflow
			e.mu.Unlock()
			done = true
			e.leave(en, "overflow")
			e.log.Info("queue: overflow", "org", orgID, "queue", queueID, "reason", o.reason, "target", o.target)
			return e.overflowTo(ctx, ch, o.target)
		case actProgress:
			cb, err := announce(true)
			if err != nil {
				return nil
			}
			if cb {
				done = true
				return ch.Hangup(ctx)
			}
			e.armProgress(en)
		case actOffer:
			answered, err := e.ring(ctx, ch, en, music)
			if answered {
				done = true
				return nil
			}
			if err != nil {
				return nil
			}
		}
	}
}

// admit decides whether a new call may enter q (GRP-8): night, rush, no agents. e.mu is held.
func (e *Engine) admit(q *queue, now time.Time) (target, reason string, ok bool) {
	if q.night(now) {
		return q.cfg.NightTarget, "night", false
	}
	e.updateRush(q, now)
	if q.rush {
		return q.cfg.RushTarget, "rush", false
	}
	in, free := 0, 0
	for _, m := range q.members {
		if m.in && m.a.licensed {
			in++
			if e.free(m, now) {
				free++
			}
		}
	}
	if in == 0 || (q.cfg.NoAgentsIfNoneFree && free == 0) {
		return q.cfg.NoAgentsTarget, "no-agents", false
	}
	return "", "", true
}

// timeUp is the per-call maximum wait (GRP-2): the caller leaves to MaxWaitTarget, also when
// an agent is being rung.
func (e *Engine) timeUp(en *entry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if en.gone || en.cb != nil || en.overflow != nil {
		return
	}
	en.overflow = &overflowOrder{target: en.q.cfg.MaxWaitTarget, reason: "max-wait"}
	if en.ringStop != nil {
		en.ringStop()
	}
	if en.wake != nil {
		en.wake()
	}
}

func (e *Engine) armProgress(en *entry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := en.q.cfg.ProgressEvery
	if d <= 0 || en.gone {
		return
	}
	en.progTimer = e.clock.AfterFunc(d, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if en.gone {
			return
		}
		en.progress = true
		if en.wake != nil && en.offer == nil {
			en.wake()
		}
	})
}

// pending is what the flow must do next. e.mu is held.
func (en *entry) pending() action {
	switch {
	case en.overflow != nil:
		return actOverflow
	case en.offer != nil:
		return actOffer
	case en.progress:
		en.progress = false
		return actProgress
	}
	return actNone
}

// await plays music until something happens to en.
func (e *Engine) await(ctx context.Context, ch mediaapp.Channel, en *entry, music mediaapp.Clip) action {
	for {
		e.mu.Lock()
		if act := en.pending(); act != actNone {
			e.mu.Unlock()
			return act
		}
		mctx, cancel := context.WithCancel(ctx)
		en.wake = cancel
		e.mu.Unlock()
		var err error
		if l, ok := ch.(Looper); ok {
			err = l.Loop(mctx, music)
		} else {
			for err == nil && mctx.Err() == nil {
				err = ch.Play(mctx, music)
				if errors.Is(err, mediaapp.ErrBargeIn) {
					// A key while waiting means nothing here; drop it so the music goes on.
					_, _ = ch.Collect(mctx, mediaapp.CollectOptions{Max: 1, Terminator: mediaapp.NoTerminator})
					err = nil
				}
			}
		}
		e.mu.Lock()
		woken := mctx.Err() != nil && ctx.Err() == nil
		en.wake = nil
		e.mu.Unlock()
		cancel()
		if !woken {
			return actHangup
		}
	}
}

// ring rings the agents the engine reserved for en. answered: the caller is connected and the
// flow ends; err: the caller is gone.
func (e *Engine) ring(ctx context.Context, ch mediaapp.Channel, en *entry, music mediaapp.Clip) (bool, error) {
	q := en.q
	e.mu.Lock()
	users := make([]int64, 0, len(en.offer))
	for _, a := range en.offer {
		users = append(users, a.id)
	}
	rctx, cancel := context.WithCancel(ctx)
	en.ringStop = cancel
	r := mediaapp.Ring{Users: users, Devices: devices(q.cfg.Devices), Timeout: ringTime(q), Group: groupInfo(q, en.caller)}
	if !q.cfg.RingbackOnConnect {
		r.Hear = &music
	}
	e.mu.Unlock()
	defer cancel()
	ringer, ok := ch.(mediaapp.Ringer)
	var ans mediaapp.Answered
	err := fmt.Errorf("queue: channel cannot ring agents: %w", mediaapp.ErrUnreachable)
	if ok {
		ans, err = ringer.RingOut(rctx, r)
	}
	return e.ringResult(ctx, en, users, ans, err)
}

// ringResult takes the outcome of a ring.
func (e *Engine) ringResult(ctx context.Context, en *entry, users []int64, ans mediaapp.Answered, err error) (bool, error) {
	var fx effects
	e.mu.Lock()
	defer func() {
		e.mu.Unlock()
		e.run(&fx)
	}()
	now := e.clock.Now()
	q := en.q
	rung := e.release(en, &fx)
	en.ringStop = nil
	switch {
	case err == nil:
		a := e.agents[ans.UserID]
		if a == nil && len(rung) > 0 {
			a = rung[0]
		}
		q.remove(en)
		en.gone = true
		stop(en.maxTimer, en.progTimer)
		at := ans.At
		if at.IsZero() {
			at = now
		}
		q.lastWait, q.hasLast = at.Sub(en.entered), true
		e.updateRush(q, now)
		if a != nil {
			e.startTalk(q, a, &talk{q: q, caller: en.caller, entered: en.entered, answered: at}, ans.Done, &fx)
		}
		for _, o := range rung {
			if o != a {
				e.agentChanged(o, &fx)
			}
		}
		e.dispatch(q, &fx)
		fx.queue(e, q)
		return true, nil
	case errors.Is(err, mediaapp.ErrHangup) || ctx.Err() != nil:
		for _, a := range rung {
			e.agentChanged(a, &fx)
		}
		return false, err
	case en.overflow != nil:
		// Max wait cut the ring short: not the agents' fault.
		for _, a := range rung {
			e.agentChanged(a, &fx)
		}
		return false, nil
	case en.yielded:
		// The agent took another caller from the console: not a miss; en waits on.
		en.yielded = false
		for _, a := range rung {
			e.agentChanged(a, &fx)
		}
		e.dispatch(q, &fx)
		for _, a := range rung { // the taken caller may wait in another of the agent's queues
			for _, m := range a.mem {
				if m.q != q {
					e.dispatch(m.q, &fx)
				}
			}
		}
		return false, nil
	}
	for _, a := range rung {
		e.missedOffer(q, a, &fx)
		if errors.Is(err, mediaapp.ErrBusy) || errors.Is(err, mediaapp.ErrUnreachable) {
			a.retryUntil = now.Add(retryGap)
		}
	}
	en.attempts++
	if n := q.cfg.MaxRingAttempts; n > 0 && en.attempts >= n {
		en.overflow = &overflowOrder{target: q.cfg.NoAnswerTarget, reason: "no-answer"}
	}
	for _, a := range rung {
		e.agentChanged(a, &fx)
	}
	e.dispatch(q, &fx)
	return false, nil
}

// leave takes en out of its queue for good, recording the call. e.mu is not held.
func (e *Engine) leave(en *entry, outcome string) {
	var fx effects
	e.mu.Lock()
	if !en.gone && en.cb == nil {
		now := e.clock.Now()
		q := en.q
		q.remove(en)
		en.gone = true
		stop(en.maxTimer, en.progTimer)
		for _, a := range e.release(en, &fx) {
			e.agentChanged(a, &fx)
		}
		e.updateRush(q, now)
		e.finish(q, store.QueueCall{OrgID: q.org.id, QueueID: q.cfg.ID, Caller: en.caller, Entered: en.entered, Ended: now, Outcome: outcome}, &fx)
		e.dispatch(q, &fx)
	}
	e.mu.Unlock()
	e.run(&fx)
}

// overflowTo sends the caller to target; "" (or a channel that cannot connect) is busy.
func (e *Engine) overflowTo(ctx context.Context, ch mediaapp.Channel, target string) error {
	if target != "" {
		if c, ok := ch.(mediaapp.Connector); ok {
			err := c.Connect(ctx, target, false)
			if err == nil {
				return nil
			}
			_ = ch.Play(ctx, mediaapp.ErrorTone())
			_ = ch.Hangup(ctx)
			return fmt.Errorf("queue overflow to %q: %w", target, err)
		}
	}
	_ = ch.Play(ctx, busyTone())
	return ch.Hangup(ctx)
}

// offerCallback offers the caller a callback; true when they took it (the flow then ends).
func (e *Engine) offerCallback(ctx context.Context, ch mediaapp.Channel, en *entry, number, lang string) (bool, error) {
	orgID := en.q.org.id
	offer := en.q.cfg.CallbackOfferPrompt
	if offer == "" {
		offer = keyCallbackOffer
	}
	if err := e.play(ctx, ch, e.clips(orgID, lang, offer)...); err != nil {
		return false, err
	}
	opts := mediaapp.CollectOptions{Max: 1, Terminator: mediaapp.NoTerminator, FirstTimeout: callbackKeyTimeout}
	d, err := ch.Collect(ctx, opts)
	if err != nil {
		if errors.Is(err, mediaapp.ErrTimeout) {
			return false, nil
		}
		return false, err
	}
	if d != "1" {
		return false, nil
	}
	keys := append([]string{keyCallbackNumber}, digitKeys(number)...)
	keys = append(keys, keyCallbackConfirm)
	if err := e.play(ctx, ch, e.clips(orgID, lang, keys...)...); err != nil {
		return false, err
	}
	d, err = ch.Collect(ctx, opts)
	if err != nil {
		if errors.Is(err, mediaapp.ErrTimeout) {
			return false, nil
		}
		return false, err
	}
	if d != "1" {
		return false, nil
	}
	if err := e.toCallback(ctx, en, number); err != nil {
		e.log.Error("queue: callback not saved", "org", orgID, "queue", en.q.cfg.ID, "error", err)
		return false, nil
	}
	_ = e.play(ctx, ch, e.clips(orgID, lang, keyCallbackDone)...)
	return true, nil
}

// play plays clips; a key pressed meanwhile is no error (it stays queued).
func (e *Engine) play(ctx context.Context, ch mediaapp.Channel, clips ...mediaapp.Clip) error {
	if len(clips) == 0 {
		return nil
	}
	if err := ch.Play(ctx, clips...); err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
		return err
	}
	return nil
}

// clips loads prompt keys one by one, so that one missing prompt does not silence the rest.
func (e *Engine) clips(orgID int64, lang string, keys ...string) []mediaapp.Clip {
	out := make([]mediaapp.Clip, 0, len(keys))
	for _, k := range keys {
		if e.d.Prompts == nil {
			cl := mediaapp.Tone(600, 100*time.Millisecond)
			cl.Name = k
			out = append(out, cl)
			continue
		}
		cl, err := e.d.Prompts.OrgClips(orgID, lang, k)
		if err != nil {
			e.log.Warn("queue: prompt missing", "org", orgID, "lang", lang, "key", k, "error", err)
			continue
		}
		out = append(out, cl...)
	}
	return out
}

func positionKeys(lang string, pos int) []string {
	n, err := mediaapp.SayNumber(mediaapp.Lang(lang), pos)
	if err != nil {
		return nil
	}
	return append([]string{keyPosition}, n...)
}

// estimateKeys say the estimate in whole minutes, rounded up ("under a minute" below one).
func estimateKeys(lang string, d time.Duration) []string {
	if d < time.Minute {
		return []string{keyEstimate, keyUnderMinute}
	}
	min := int((d + time.Minute - 1) / time.Minute)
	n, err := mediaapp.SayNumber(mediaapp.Lang(lang), min)
	if err != nil {
		return nil
	}
	unit := keyMinutes
	if min == 1 {
		unit = keyMinute
	}
	return append(append([]string{keyEstimate}, n...), unit)
}

// digitKeys say a number digit by digit (a leading + is not said).
func digitKeys(number string) []string {
	var out []string
	for _, r := range number {
		if r >= '0' && r <= '9' {
			out = append(out, "num/"+string(r))
		}
	}
	return out
}

func langOr(l string) string {
	switch l {
	case "fi", "sv", "en":
		return l
	}
	return defaultLang
}

// busyTone is the Finnish busy signal: 425 Hz, 0.3 s on, 0.3 s off.
func busyTone() mediaapp.Clip {
	var c mediaapp.Clip
	for range busyToneRepetitions {
		c.Samples = append(c.Samples, mediaapp.Tone(425, 300*time.Millisecond).Samples...)
		c.Samples = append(c.Samples, mediaapp.Silence(300*time.Millisecond).Samples...)
	}
	c.Name = "tone/busy"
	return c
}
