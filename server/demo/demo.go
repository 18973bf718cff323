// Package demo owns the demo organisation: a fixed, idempotently created tenant with ten users
// whose passwords are public ("demo<extension>"). It exists only when the server runs in demo mode.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/store"
)

// Fixed identity of the demo organisation.
const (
	OrgName     = "Demo Oy"
	Domain      = "demo.vaihde.local"
	CountryCode = "358"
	Switchboard = "+35891234000"
)

// Account is one demo user with its public password, for printing at start-up.
type Account struct {
	User     store.User
	Password string
}

var people = []struct{ name, lang string }{
	{"Aino Virtanen", "fi"},
	{"Mikko Korhonen", "fi"},
	{"Sofia Lindqvist", "sv"},
	{"Juha Nieminen", "fi"},
	{"Emma Mäkinen", "en"},
	{"Erik Johansson", "sv"},
	{"Laura Heikkinen", "fi"},
	{"Oskar Lindholm", "sv"},
	{"Helmi Koskinen", "fi"},
	{"Anna Berg", "en"},
}

// emailLocal turns "Emma Mäkinen" into "emma.makinen".
func emailLocal(name string) string {
	r := strings.NewReplacer("ä", "a", "ö", "o", "å", "a", "Ä", "a", "Ö", "o", "Å", "a", " ", ".")
	return strings.ToLower(r.Replace(name))
}

// Seed creates the demo organisation and its users if they are missing, and returns every
// demo account. Running it again changes nothing and returns the same accounts.
func Seed(ctx context.Context, st store.Store) (store.Org, []Account, error) {
	org, err := st.OrgByDomain(ctx, Domain)
	if errors.Is(err, store.ErrNotFound) {
		org, err = st.CreateOrg(ctx, store.Org{Name: OrgName, Domain: Domain, CountryCode: CountryCode, Switchboard: Switchboard, Demo: true})
	}
	if err != nil {
		return store.Org{}, nil, fmt.Errorf("demo: seed org: %w", err)
	}
	accounts := make([]Account, 0, len(people))
	for i, p := range people {
		ext := fmt.Sprintf("%d", 1001+i)
		password := "demo" + ext
		u, err := st.UserByExtension(ctx, org.ID, ext)
		if errors.Is(err, store.ErrNotFound) {
			u = store.User{
				OrgID:         org.ID,
				Extension:     ext,
				Name:          p.name,
				CompanyNumber: "+3589123410" + fmt.Sprintf("%02d", i+1),
				MobileNumber:  "+3584012310" + fmt.Sprintf("%02d", i+1),
				Email:         emailLocal(p.name) + "@" + Domain,
				Language:      p.lang,
			}
			if err = auth.SetPassword(&u, org.Domain, password); err == nil {
				u, err = st.CreateUser(ctx, u)
			}
		}
		if err != nil {
			return store.Org{}, nil, fmt.Errorf("demo: seed user %s: %w", ext, err)
		}
		accounts = append(accounts, Account{User: u, Password: password})
	}
	return org, accounts, nil
}
