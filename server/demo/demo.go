// Package demo owns the demo organisation: a fixed, idempotently created tenant with ten users
// whose passwords are public ("demo<extension>"), with departments, titles and keywords for the
// directory, 1001 as administrator, three organisation contacts and two personal contacts of
// 1001, and its groups (groups.go): two queues, a hunt group and an IVR menu. It exists only
// when the server runs in demo mode.
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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

// SMSSender is the demo organisation's alphanumeric SMS sender.
const SMSSender = "DemoOy"

var people = []struct{ name, lang, department, title, keywords string }{
	{"Aino Virtanen", "fi", "Johto", "Toimitusjohtaja", "johto sopimukset hallinto"},
	{"Mikko Korhonen", "fi", "Myynti", "Myyntipäällikkö", "tarjoukset asiakkuudet"},
	{"Sofia Lindqvist", "sv", "Myynti", "Säljare", "svenska ruotsi tarjoukset"},
	{"Juha Nieminen", "fi", "IT", "IT-päällikkö", "verkko vpn tietoturva"},
	{"Emma Mäkinen", "en", "Asiakaspalvelu", "Asiakaspalvelupäällikkö", "english reklamaatiot"},
	{"Erik Johansson", "sv", "Talous", "Controller", "laskutus budjetti"},
	{"Laura Heikkinen", "fi", "Asiakaspalvelu", "Asiakasneuvoja", "tilaukset palautukset"},
	{"Oskar Lindholm", "sv", "IT", "Tukihenkilö", "verkko tulostimet laitteet"},
	{"Helmi Koskinen", "fi", "Talous", "Kirjanpitäjä", "laskutus palkat reskontra"},
	{"Anna Berg", "en", "Henkilöstö", "Henkilöstöpäällikkö", "rekrytointi perehdytys"},
}

// adminExt is the demo administrator (manages organisation contacts and activities).
const adminExt = "1001"

// orgContacts are the demo organisation's external contacts (DIR-4), visible to all unless
// Groups names who sees them.
var orgContacts = []store.Contact{
	{Name: "Kiinteistöhuolto Oy", Company: "Kiinteistöhuolto Oy", Phone: "+358207001001", Email: "paivystys@kiinteistohuolto.example", Note: "Päivystys 24/7"},
	{Name: "Taksi Helsinki", Company: "Taksi Helsinki", Phone: "+358207001002", Note: "Tilaukset"},
	{Name: "IT-tuki (ulkoinen)", Company: "Tekniikkapalvelu Oy", Phone: "+358207001003", Email: "tuki@tekniikkapalvelu.example", Groups: "IT"},
}

// vipContact is the demo administrator's external VIP contact (DIR-3).
var vipContact = store.Contact{Name: "Kaisa Järvelä", Company: "Asiakas Oy", Mobile: "+358501234567",
	Email: "kaisa.jarvela@asiakas.example", VIP: true, Note: "Avainasiakas"}

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
		org, err = st.CreateOrg(ctx, store.Org{Name: OrgName, Domain: Domain, CountryCode: CountryCode, Switchboard: Switchboard,
			Demo: true, ShowRoles: true, SMSSender: SMSSender})
	} else if err == nil && !org.ShowRoles && org.SMSSender == "" {
		// A demo database from before issue 3: give it the new organisation settings once.
		org.ShowRoles, org.SMSSender = true, SMSSender
		err = st.UpdateOrg(ctx, org)
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
				Department:    p.department,
				Title:         p.title,
				Keywords:      p.keywords,
				Admin:         ext == adminExt,
			}
			if err = auth.SetPassword(&u, org.Domain, password); err == nil {
				u, err = st.CreateUser(ctx, u)
			}
		} else if err == nil && u.Department == "" && u.Title == "" && u.Keywords == "" {
			// Created before the directory fields existed: fill them in once.
			u.Department, u.Title, u.Keywords, u.Admin = p.department, p.title, p.keywords, u.Admin || ext == adminExt
			err = st.UpdateUser(ctx, u)
		}
		if err != nil {
			return store.Org{}, nil, fmt.Errorf("demo: seed user %s: %w", ext, err)
		}
		accounts = append(accounts, Account{User: u, Password: password})
	}
	if err := seedContacts(ctx, st, org, accounts); err != nil {
		return store.Org{}, nil, err
	}
	if org, err = seedGroups(ctx, st, org, accounts, time.Now().UTC()); err != nil {
		return store.Org{}, nil, err
	}
	return org, accounts, nil
}

// seedContacts adds the organisation contacts and the administrator's personal contacts that
// are missing (matched by name, or by colleague for internal ones).
func seedContacts(ctx context.Context, st store.Store, org store.Org, accounts []Account) error {
	existing, err := st.ContactsOf(ctx, org.ID, 0)
	if err != nil {
		return fmt.Errorf("demo: seed contacts: %w", err)
	}
	for _, c := range orgContacts {
		if !slices.ContainsFunc(existing, func(e store.Contact) bool { return e.Name == c.Name }) {
			c.OrgID = org.ID
			if _, err := st.CreateContact(ctx, c); err != nil {
				return fmt.Errorf("demo: seed contact %s: %w", c.Name, err)
			}
		}
	}
	admin, colleague := accounts[0].User, accounts[1].User // 1001 and 1002
	mine, err := st.ContactsOf(ctx, org.ID, admin.ID)
	if err != nil {
		return fmt.Errorf("demo: seed contacts of %s: %w", admin.Extension, err)
	}
	personal := []store.Contact{
		{UserID: colleague.ID, Name: colleague.Name, Favourite: true},
		vipContact,
	}
	for _, c := range personal {
		if slices.ContainsFunc(mine, func(e store.Contact) bool {
			return c.UserID != 0 && e.UserID == c.UserID || c.UserID == 0 && e.UserID == 0 && e.Name == c.Name
		}) {
			continue
		}
		c.OrgID, c.OwnerID = org.ID, admin.ID
		if _, err := st.CreateContact(ctx, c); err != nil {
			return fmt.Errorf("demo: seed contact %s of %s: %w", c.Name, admin.Extension, err)
		}
	}
	return nil
}
