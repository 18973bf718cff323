package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// The demo organisation's groups (issue 10). Tests outside this repository dial these, so
// they are exactly: queue "Asiakaspalvelu" on 8000 (agents 1004, 1005, 1006 with skills 1, 2,
// 3, one rung at a time, hold music, logged in at start), hunt group "Myynti" on 8001 (1007
// and 1008 in parallel), switchboard queue "Vaihde" on 8010 (operator 1009) and the IVR menu
// on 8020 (1 → 8000, 2 → 8001).
const (
	QueueNumber       = "8000"
	QueueName         = "Asiakaspalvelu"
	HuntNumber        = "8001"
	HuntName          = "Myynti"
	SwitchboardNumber = "8010"
	SwitchboardName   = "Vaihde"
	MenuNumber        = "8020"
	MenuName          = "Päävalikko"
)

// Demo roles: the agents of Asiakaspalvelu, its supervisor (the customer-service manager,
// also an agent) and the switchboard operator.
var (
	agentExts      = []string{"1004", "1005", "1006"}
	supervisorExt  = "1005"
	operatorExt    = "1009"
	huntMemberExts = []string{"1007", "1008"}
)

// Floating licences of the demo organisation (ORG-2): room for the demo roles and a few more.
const (
	demoAgentLicences      = 5
	demoSupervisorLicences = 2
	demoOperatorLicences   = 2
)

// seedGroups gives the demo organisation its roles, licences, groups and agent logins. Each
// group is created only when its number answers nothing yet, so a second run (or a database
// from before issue 10, which gets them once) changes nothing already there.
func seedGroups(ctx context.Context, st store.Store, org store.Org, accounts []Account, now time.Time) (store.Org, error) {
	byExt := make(map[string]store.User, len(accounts))
	for _, a := range accounts {
		byExt[a.User.Extension] = a.User
	}
	missing := func(num string) (bool, error) {
		_, _, err := st.GroupByNumber(ctx, org.ID, num)
		if errors.Is(err, store.ErrNotFound) {
			return true, nil
		}
		return false, err
	}
	needQueue, err := missing(QueueNumber)
	if err != nil {
		return org, fmt.Errorf("demo: seed groups: %w", err)
	}
	needSwitchboard, err := missing(SwitchboardNumber)
	if err != nil {
		return org, fmt.Errorf("demo: seed groups: %w", err)
	}
	// Licences and roles first: a queue member holds the role (ORG-2).
	if needQueue || needSwitchboard {
		o := org
		o.AgentLicences = max(o.AgentLicences, demoAgentLicences)
		o.SupervisorLicences = max(o.SupervisorLicences, demoSupervisorLicences)
		o.OperatorLicences = max(o.OperatorLicences, demoOperatorLicences)
		if o != org {
			if err := st.UpdateOrg(ctx, o); err != nil {
				return org, fmt.Errorf("demo: seed licences: %w", err)
			}
			org = o
		}
		grant := func(ext string, set func(*store.User) bool) error {
			u := byExt[ext]
			if !set(&u) {
				return nil
			}
			if err := st.UpdateUser(ctx, u); err != nil {
				return fmt.Errorf("demo: seed role of %s: %w", ext, err)
			}
			byExt[ext] = u
			for i := range accounts {
				if accounts[i].User.ID == u.ID {
					accounts[i].User = u
				}
			}
			return nil
		}
		for _, ext := range agentExts {
			if err := grant(ext, func(u *store.User) bool { was := u.Agent; u.Agent = true; return !was }); err != nil {
				return org, err
			}
		}
		if err := grant(supervisorExt, func(u *store.User) bool { was := u.Supervisor; u.Supervisor = true; return !was }); err != nil {
			return org, err
		}
		if err := grant(operatorExt, func(u *store.User) bool { was := u.Operator; u.Operator = true; return !was }); err != nil {
			return org, err
		}
	}
	if needQueue {
		q := store.Queue{
			OrgID: org.ID, Name: QueueName, Number: QueueNumber,
			RedStops: true, LongestIdle: true, RingAtOnce: 1, RingTime: 15 * time.Second,
			WrapUp: 5 * time.Second, AutoLogoutAfter: 2,
			Music: "", ProgressEvery: 30 * time.Second, RingbackOnConnect: true, SayPosition: true, SayEstimate: true,
			NoAgentsTarget: "voicemail:" + supervisorExt,
			Callback:       true, CallbackRingTime: 30 * time.Second, CallbackAttempts: 3, CallbackValidity: 4 * time.Hour,
			CallbackText: "Takaisinsoittopyyntö", StopBeforeClose: 15 * time.Minute,
			Supervisors: []int64{byExt[supervisorExt].ID},
		}
		for i, ext := range agentExts {
			q.Members = append(q.Members, store.QueueMember{UserID: byExt[ext].ID, Skill: i + 1})
		}
		q, err := st.CreateQueue(ctx, q)
		if err != nil {
			return org, fmt.Errorf("demo: seed queue %s: %w", QueueName, err)
		}
		for _, m := range q.Members {
			if err := st.PutAgentLogin(ctx, org.ID, store.AgentLogin{QueueID: q.ID, UserID: m.UserID, LoggedIn: true, At: now}); err != nil {
				return org, fmt.Errorf("demo: seed login to %s: %w", QueueName, err)
			}
		}
	}
	if needSwitchboard {
		op := byExt[operatorExt]
		q, err := st.CreateQueue(ctx, store.Queue{
			OrgID: org.ID, Name: SwitchboardName, Number: SwitchboardNumber,
			LongestIdle: true, RingAtOnce: 1, RingTime: 20 * time.Second, Music: "", SayPosition: true, RingbackOnConnect: true,
			Members: []store.QueueMember{{UserID: op.ID, Order: 1, Skill: 1}},
		})
		if err != nil {
			return org, fmt.Errorf("demo: seed queue %s: %w", SwitchboardName, err)
		}
		if err := st.PutAgentLogin(ctx, org.ID, store.AgentLogin{QueueID: q.ID, UserID: op.ID, LoggedIn: true, At: now}); err != nil {
			return org, fmt.Errorf("demo: seed login to %s: %w", SwitchboardName, err)
		}
	}
	if need, err := missing(HuntNumber); err != nil {
		return org, fmt.Errorf("demo: seed groups: %w", err)
	} else if need {
		h := store.HuntGroup{OrgID: org.ID, Name: HuntName, Number: HuntNumber, Mode: store.HuntParallel, RingTime: 20 * time.Second}
		for _, ext := range huntMemberExts {
			h.Members = append(h.Members, byExt[ext].ID)
		}
		if _, err := st.CreateHuntGroup(ctx, h); err != nil {
			return org, fmt.Errorf("demo: seed hunt group %s: %w", HuntName, err)
		}
	}
	if need, err := missing(MenuNumber); err != nil {
		return org, fmt.Errorf("demo: seed groups: %w", err)
	} else if need {
		m := store.Menu{OrgID: org.ID, Name: MenuName, Number: MenuNumber,
			Options: map[string]string{"1": QueueNumber, "2": HuntNumber}}
		if _, err := st.CreateMenu(ctx, m); err != nil {
			return org, fmt.Errorf("demo: seed menu %s: %w", MenuName, err)
		}
	}
	return org, nil
}
