package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/provision"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// benchAgentPassword is every bench agent's password (loopback-only test accounts).
const benchAgentPassword = "jonossa-kuormitus-42"

// runSeedQueue prepares a database, before the server starts, for `vaihde-load queue`: the demo
// organisation plus N agents (extensions agent-first…, password benchAgentPassword, the agent role) and
// a queue on -queue with every one of them a member and logged in, hold music and progress,
// position and estimated-wait announcements, no wrap-up and no limits that would send a
// caller elsewhere during the run.
func runSeedQueue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed-queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		db         = fs.String("db", "", "the server's database file (created if missing)")
		queue      = fs.String("queue", "8050", "the bench queue's number (a test number 8000-8099)")
		agents     = fs.Int("agents", 50, "agents to create")
		agentFirst = fs.Int("agent-first", 2001, "extension of the first agent")
		progress   = fs.Duration("progress", 10*time.Second, "progress announcement interval")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return errors.New("-db is required")
	}
	if *agents < 1 || *agents > 1000 {
		return fmt.Errorf("-agents %d: must be 1..1000", *agents)
	}
	n, err := strconv.Atoi(*queue)
	if err != nil || n < 8000 || n > 8099 {
		return fmt.Errorf("-queue %q: a test number 8000-8099", *queue)
	}
	st, err := sqlite.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	org, _, err := demo.Seed(ctx, st)
	if err != nil {
		return err
	}
	org.AgentLicences = max(org.AgentLicences, *agents+10)
	if err := st.UpdateOrg(ctx, org); err != nil {
		return fmt.Errorf("seed: licences: %w", err)
	}
	prov := &provision.Service{St: st}
	q := store.Queue{OrgID: org.ID, Name: "Bench", Number: *queue, LongestIdle: true, RingAtOnce: 1,
		RingTime: 20 * time.Second, ProgressEvery: *progress, SayPosition: true, SayEstimate: true}
	for i := range *agents {
		ext := strconv.Itoa(*agentFirst + i)
		u, err := st.UserByExtension(ctx, org.ID, ext)
		if errors.Is(err, store.ErrNotFound) {
			u, err = prov.CreateUser(ctx, provision.UserSpec{Org: org.Domain, Extension: ext, Name: "Bench Agent " + ext,
				Language: "fi"}, benchAgentPassword)
		}
		if err != nil {
			return fmt.Errorf("seed agent %s: %w", ext, err)
		}
		if !u.Agent {
			u.Agent = true
			if err := st.UpdateUser(ctx, u); err != nil {
				return fmt.Errorf("seed agent %s: role: %w", ext, err)
			}
		}
		q.Members = append(q.Members, store.QueueMember{UserID: u.ID, Skill: 1})
	}
	if kind, id, err := st.GroupByNumber(ctx, org.ID, *queue); err == nil {
		if kind != store.KindQueue {
			return fmt.Errorf("seed: %s is a %s", *queue, kind)
		}
		q.ID = id
		err = st.UpdateQueue(ctx, q)
		if err != nil {
			return fmt.Errorf("seed queue %s: %w", *queue, err)
		}
	} else if errors.Is(err, store.ErrNotFound) {
		if q, err = st.CreateQueue(ctx, q); err != nil {
			return fmt.Errorf("seed queue %s: %w", *queue, err)
		}
	} else {
		return fmt.Errorf("seed queue %s: %w", *queue, err)
	}
	for _, m := range q.Members {
		if err := st.PutAgentLogin(ctx, org.ID, store.AgentLogin{QueueID: q.ID, UserID: m.UserID, LoggedIn: true, At: time.Now()}); err != nil {
			return fmt.Errorf("seed login: %w", err)
		}
	}
	fmt.Fprintf(stdout, "queue %s with %d agents %d-%d (password %s) in %s\n", *queue, *agents, *agentFirst, *agentFirst+*agents-1, benchAgentPassword, org.Domain)
	return nil
}
