// Package queue is the customer-service queue engine (SPEC GRP-1…9) and the queue call flow.
//
// The Engine keeps every organisation's queues in memory: per queue a waiting list ordered by
// the time each caller entered (callers on the line and callbacks alike, so a callback keeps
// its caller's place and never jumps ahead of anyone who was waiting before), and per agent
// the agent's memberships, so that a phone-state or presence change of one agent
// (Engine.PhoneState, Engine.Presence) touches only that agent's queues. Everything that waits
// (ring time, wrap-up, maximum wait, progress announcements, callback validity, throttled
// statistics) runs on an injected Clock.
//
// Distribution (GRP-3, GRP-4): among the free agents of a queue, skill 1 before 2 before 3
// (0 = 3); at equal skill ordered members by their order, unordered members after them; then
// the longest idle (LongestIdle) or at random. RingAtOnce agents ring together for RingTime
// (0 = 20 s); an agent not answering is followed by the next one (sequential hunting). Not
// free: logged out, paused, in any call (phone state), ringing, in wrap-up (shared across all
// the agent's queues: the longest remaining wins), red presence where the queue's RedStops is
// set. AutoLogoutAfter unanswered offers in a row log the agent out of that queue.
//
// Overflow (GRP-2, GRP-8): night (opening hours in the organisation's time zone, or the manual
// switch) → NightTarget; rush (the queue closes to new calls while its length reaches
// MaxQueued or the longest wait exceeds RushMaxWait, and reopens only when the length has
// fallen to RushReopen) → RushTarget; nobody logged in (or nobody free, NoAgentsIfNoneFree)
// → NoAgentsTarget; these at entry. While waiting: MaxWait → MaxWaitTarget, MaxRingAttempts
// unanswered offers (ring time × attempts) → NoAnswerTarget. An empty target is busy.
//
// Callbacks (GRP-6) are offered (press 1, hear the number, press 1 to confirm) when the
// queue's conditions hold, stored through store.GroupStore and placed through
// mediaapp.Originator when their turn comes: the agent first (with the callback text and the
// agent announcement), then the caller. A failed attempt keeps the place until the attempts or
// the validity are used up.
//
// The wait estimate (GRP-5) replays the queue ahead of the caller over the agents working now
// and their own recent handling times (estimate.go); TestEstimateAccuracy compares it with
// Asterisk's moving averages.
//
// Agent feature codes (FeatureFlow):
//
//	985           log in to every queue I am a member of
//	985<number>   log in to the queue answering <number>, e.g. 9858000
//	986           log out of every queue
//	986<number>   log out of that queue
//
// Only users holding the agent role (store.User.Agent) log in; supervisors (Queue.Supervisors,
// or the supervisor role and membership: CanSupervise) may log others in and out through the
// API and see the statistics.
package queue
