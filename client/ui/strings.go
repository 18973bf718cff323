package ui

import (
	"fmt"
	"os"
	"strings"
)

// Key names one user-visible text. Every text the Softphone shows is in the tables below, so a
// translation is one more table.
type Key string

// Text keys.
const (
	KAppName          Key = "app.name"
	KLoginTitle       Key = "login.title"
	KLoginIntro       Key = "login.intro"
	KServer           Key = "login.server"
	KServerHint       Key = "login.server.hint"
	KUser             Key = "login.user"
	KUserHint         Key = "login.user.hint"
	KPassword         Key = "login.password"
	KLogIn            Key = "login.button"
	KLoggingIn        Key = "login.progress"
	KFillAll          Key = "login.fill"
	KRegLoggedOut     Key = "reg.loggedout"
	KRegConnecting    Key = "reg.connecting"
	KRegRegistered    Key = "reg.registered"
	KRegWrongPassword Key = "reg.wrongpassword"
	KRegUnreachable   Key = "reg.unreachable"
	KRegFailed        Key = "reg.failed"
	KTabPhone         Key = "tab.phone"
	KTabLog           Key = "tab.log"
	KTabSettings      Key = "tab.settings"
	KNumberHint       Key = "dial.hint"
	KCall             Key = "dial.call"
	KBackspace        Key = "dial.backspace"
	KStateDialling    Key = "call.dialling"
	KStateRinging     Key = "call.ringing"
	KStateIncoming    Key = "call.incoming"
	KStateWaiting     Key = "call.waiting"
	KStateActive      Key = "call.active"
	KStateOnHold      Key = "call.onhold"
	KStateRemoteHold  Key = "call.remotehold"
	KStateEnded       Key = "call.ended"
	KStateMuted       Key = "call.muted"
	KHangup           Key = "call.hangup"
	KHold             Key = "call.hold"
	KResume           Key = "call.resume"
	KMute             Key = "call.mute"
	KUnmute           Key = "call.unmute"
	KKeypad           Key = "call.keypad"
	KTransfer         Key = "call.transfer"
	KSwap             Key = "call.swap"
	KAnswer           Key = "call.answer"
	KReject           Key = "call.reject"
	KIncomingFrom     Key = "call.incomingfrom"
	KCallWaitingFrom  Key = "call.waitingfrom"
	KUnknownCaller    Key = "call.unknown"
	KHeldCalls        Key = "call.heldcalls"
	KTransferTitle    Key = "xfer.title"
	KTransferHint     Key = "xfer.hint"
	KTransferBlind    Key = "xfer.blind"
	KTransferConsult  Key = "xfer.consult"
	KTransferComplete Key = "xfer.complete"
	KTransferCancel   Key = "xfer.cancel"
	KTransferring     Key = "xfer.progress"
	KConsulting       Key = "xfer.consulting"
	KCancel           Key = "common.cancel"
	KClose            Key = "common.close"
	KLogEmpty         Key = "log.empty"
	KLogRefresh       Key = "log.refresh"
	KLogCallBack      Key = "log.callback"
	KLogMissed        Key = "log.missed"
	KLogInbound       Key = "log.in"
	KLogOutbound      Key = "log.out"
	KLogUnavailable   Key = "log.unavailable"
	KSettingsAccount  Key = "set.account"
	KSettingsAudio    Key = "set.audio"
	KSettingsGeneral  Key = "set.general"
	KMicrophone       Key = "set.mic"
	KSpeaker          Key = "set.speaker"
	KRinger           Key = "set.ringer"
	KRingerHint       Key = "set.ringer.hint"
	KRingVolume       Key = "set.ringvolume"
	KAlsoRing         Key = "set.alsoring"
	KAlsoRingHint     Key = "set.alsoring.hint"
	KAlsoRingOff      Key = "set.alsoring.off"
	KSystemDefault    Key = "set.default"
	KDeviceMissing    Key = "set.missing"
	KLanguage         Key = "set.language"
	KLanguageHint     Key = "set.language.hint"
	KLogOutButton     Key = "set.logout"
	KLoggedInAs       Key = "set.loggedinas"
	KPasswordNote     Key = "set.passwordnote"
	KShortcuts        Key = "set.shortcuts"
	KShortcutsText    Key = "set.shortcuts.text"
	KErrDial          Key = "err.dial"
	KErrAction        Key = "err.action"
	KErrSettings      Key = "err.settings"
	KNotifyIncoming   Key = "notify.incoming"
)

var english = map[Key]string{
	KAppName:          "Softphone",
	KLoginTitle:       "Log in to Vaihde",
	KLoginIntro:       "Enter the server address, your phone number\nor extension, and your password.",
	KServer:           "Server address",
	KServerHint:       "e.g. pbx.example.com",
	KUser:             "User name",
	KUserHint:         "Phone number or extension, e.g. 0401234567",
	KPassword:         "Password",
	KLogIn:            "Log in",
	KLoggingIn:        "Logging in…",
	KFillAll:          "Please fill in all three fields.",
	KRegLoggedOut:     "Logged out",
	KRegConnecting:    "Connecting…",
	KRegRegistered:    "Registered",
	KRegWrongPassword: "Wrong user name or password",
	KRegUnreachable:   "Server unreachable",
	KRegFailed:        "Registration failed",
	KTabPhone:         "Phone",
	KTabLog:           "Call log",
	KTabSettings:      "Settings",
	KNumberHint:       "Number or extension",
	KCall:             "Call",
	KBackspace:        "Delete",
	KStateDialling:    "Calling…",
	KStateRinging:     "Ringing…",
	KStateIncoming:    "Incoming call",
	KStateWaiting:     "Call waiting",
	KStateActive:      "Connected",
	KStateOnHold:      "On hold",
	KStateRemoteHold:  "Held by the other party",
	KStateEnded:       "Call ended",
	KStateMuted:       "Muted",
	KHangup:           "Hang up",
	KHold:             "Hold",
	KResume:           "Resume",
	KMute:             "Mute",
	KUnmute:           "Unmute",
	KKeypad:           "Keypad",
	KTransfer:         "Transfer",
	KSwap:             "Switch to",
	KAnswer:           "Answer",
	KReject:           "Reject",
	KIncomingFrom:     "Incoming call from %s",
	KCallWaitingFrom:  "Call waiting: %s",
	KUnknownCaller:    "Unknown caller",
	KHeldCalls:        "Other calls",
	KTransferTitle:    "Transfer call",
	KTransferHint:     "Number to transfer to",
	KTransferBlind:    "Transfer now",
	KTransferConsult:  "Call first",
	KTransferComplete: "Complete transfer",
	KTransferCancel:   "Cancel transfer",
	KTransferring:     "Transferring…",
	KConsulting:       "Consulting %s before transfer",
	KCancel:           "Cancel",
	KClose:            "Close",
	KLogEmpty:         "No calls yet.",
	KLogRefresh:       "Refresh",
	KLogCallBack:      "Call back",
	KLogMissed:        "Missed",
	KLogInbound:       "Incoming",
	KLogOutbound:      "Outgoing",
	KLogUnavailable:   "The call log is not available right now.",
	KSettingsAccount:  "Account",
	KSettingsAudio:    "Audio",
	KSettingsGeneral:  "General",
	KMicrophone:       "Microphone (headset)",
	KSpeaker:          "Speaker (headset)",
	KRinger:           "Ringing device",
	KRingerHint:       "Choose the computer speaker to hear calls\nwhile the headset is off.",
	KRingVolume:       "Ring volume",
	KAlsoRing:         "Also ring on",
	KAlsoRingHint:     "A second device that rings at the same time,\nsuch as the headset while the speaker rings.",
	KAlsoRingOff:      "No other device",
	KSystemDefault:    "System default",
	KDeviceMissing:    "%s (not connected)",
	KLanguage:         "Language",
	KLanguageHint:     "Takes effect when the Softphone is restarted.",
	KLogOutButton:     "Log out",
	KLoggedInAs:       "Logged in as %s on %s",
	KPasswordNote:     "Your password is remembered on this computer so that\nthe Softphone logs in automatically. Log out to forget it.",
	KShortcuts:        "Keyboard shortcuts",
	KShortcutsText:    "Enter: call the number\nCtrl+Shift+A: answer\nCtrl+Shift+H: hang up or reject\n0–9 * # during a call: keypad tones",
	KErrDial:          "Could not call: %s",
	KErrAction:        "That did not work: %s",
	KErrSettings:      "Could not save settings: %s",
	KNotifyIncoming:   "Incoming call",
}

var finnish = map[Key]string{
	KAppName:          "Softphone",
	KLoginTitle:       "Kirjaudu Vaihteeseen",
	KLoginIntro:       "Anna palvelimen osoite, puhelinnumerosi\ntai alanumerosi ja salasanasi.",
	KServer:           "Palvelimen osoite",
	KServerHint:       "esim. vaihde.yritys.fi",
	KUser:             "Käyttäjätunnus",
	KUserHint:         "Puhelinnumero tai alanumero, esim. 0401234567",
	KPassword:         "Salasana",
	KLogIn:            "Kirjaudu",
	KLoggingIn:        "Kirjaudutaan…",
	KFillAll:          "Täytä kaikki kolme kenttää.",
	KRegLoggedOut:     "Kirjautunut ulos",
	KRegConnecting:    "Yhdistetään…",
	KRegRegistered:    "Rekisteröity",
	KRegWrongPassword: "Väärä käyttäjätunnus tai salasana",
	KRegUnreachable:   "Palvelimeen ei saada yhteyttä",
	KRegFailed:        "Rekisteröinti epäonnistui",
	KTabPhone:         "Puhelin",
	KTabLog:           "Puheluloki",
	KTabSettings:      "Asetukset",
	KNumberHint:       "Numero tai alanumero",
	KCall:             "Soita",
	KBackspace:        "Poista",
	KStateDialling:    "Soitetaan…",
	KStateRinging:     "Hälyttää…",
	KStateIncoming:    "Saapuva puhelu",
	KStateWaiting:     "Koputus",
	KStateActive:      "Yhdistetty",
	KStateOnHold:      "Pidossa",
	KStateRemoteHold:  "Toinen osapuoli asetti pitoon",
	KStateEnded:       "Puhelu päättyi",
	KStateMuted:       "Mikrofoni mykistetty",
	KHangup:           "Lopeta",
	KHold:             "Pito",
	KResume:           "Jatka",
	KMute:             "Mykistä",
	KUnmute:           "Poista mykistys",
	KKeypad:           "Näppäimistö",
	KTransfer:         "Siirrä",
	KSwap:             "Vaihda",
	KAnswer:           "Vastaa",
	KReject:           "Hylkää",
	KIncomingFrom:     "Saapuva puhelu: %s",
	KCallWaitingFrom:  "Koputus: %s",
	KUnknownCaller:    "Tuntematon soittaja",
	KHeldCalls:        "Muut puhelut",
	KTransferTitle:    "Siirrä puhelu",
	KTransferHint:     "Numero, johon siirretään",
	KTransferBlind:    "Siirrä heti",
	KTransferConsult:  "Soita ensin",
	KTransferComplete: "Viimeistele siirto",
	KTransferCancel:   "Peru siirto",
	KTransferring:     "Siirretään…",
	KConsulting:       "Neuvottelu: %s ennen siirtoa",
	KCancel:           "Peruuta",
	KClose:            "Sulje",
	KLogEmpty:         "Ei vielä puheluita.",
	KLogRefresh:       "Päivitä",
	KLogCallBack:      "Soita takaisin",
	KLogMissed:        "Vastaamaton",
	KLogInbound:       "Saapuva",
	KLogOutbound:      "Lähtevä",
	KLogUnavailable:   "Puhelulokia ei juuri nyt saada.",
	KSettingsAccount:  "Tili",
	KSettingsAudio:    "Ääni",
	KSettingsGeneral:  "Yleiset",
	KMicrophone:       "Mikrofoni (kuulokkeet)",
	KSpeaker:          "Kaiutin (kuulokkeet)",
	KRinger:           "Hälytyslaite",
	KRingerHint:       "Valitse tietokoneen kaiutin, niin kuulet puhelut\nmyös kun kuulokkeet eivät ole korvilla.",
	KRingVolume:       "Soittoäänen voimakkuus",
	KAlsoRing:         "Hälytä myös laitteessa",
	KAlsoRingHint:     "Toinen laite, joka hälyttää samaan aikaan,\nesimerkiksi kuulokkeet kaiuttimen lisäksi.",
	KAlsoRingOff:      "Ei muuta laitetta",
	KSystemDefault:    "Järjestelmän oletus",
	KDeviceMissing:    "%s (ei kytketty)",
	KLanguage:         "Kieli",
	KLanguageHint:     "Muutos tulee voimaan, kun Softphone\nkäynnistetään uudelleen.",
	KLogOutButton:     "Kirjaudu ulos",
	KLoggedInAs:       "Kirjautunut: %s, palvelin %s",
	KPasswordNote:     "Salasanasi muistetaan tällä tietokoneella, jotta Softphone\nkirjautuu automaattisesti. Kirjaudu ulos unohtaaksesi sen.",
	KShortcuts:        "Pikanäppäimet",
	KShortcutsText:    "Enter: soita numeroon\nCtrl+Shift+A: vastaa\nCtrl+Shift+H: lopeta tai hylkää\n0–9 * # puhelun aikana: näppäinäänet",
	KErrDial:          "Soitto ei onnistunut: %s",
	KErrAction:        "Toiminto ei onnistunut: %s",
	KErrSettings:      "Asetusten tallennus ei onnistunut: %s",
	KNotifyIncoming:   "Saapuva puhelu",
}

var swedish = map[Key]string{
	KAppName:          "Softphone",
	KLoginTitle:       "Logga in på Vaihde",
	KLoginIntro:       "Ange serverns adress, ditt telefonnummer\neller anknytning och ditt lösenord.",
	KServer:           "Serverns adress",
	KServerHint:       "t.ex. vaxel.foretag.se",
	KUser:             "Användarnamn",
	KUserHint:         "Telefonnummer eller anknytning, t.ex. 0401234567",
	KPassword:         "Lösenord",
	KLogIn:            "Logga in",
	KLoggingIn:        "Loggar in…",
	KFillAll:          "Fyll i alla tre fälten.",
	KRegLoggedOut:     "Utloggad",
	KRegConnecting:    "Ansluter…",
	KRegRegistered:    "Registrerad",
	KRegWrongPassword: "Fel användarnamn eller lösenord",
	KRegUnreachable:   "Servern går inte att nå",
	KRegFailed:        "Registreringen misslyckades",
	KTabPhone:         "Telefon",
	KTabLog:           "Samtalslogg",
	KTabSettings:      "Inställningar",
	KNumberHint:       "Nummer eller anknytning",
	KCall:             "Ring",
	KBackspace:        "Radera",
	KStateDialling:    "Ringer upp…",
	KStateRinging:     "Det ringer…",
	KStateIncoming:    "Inkommande samtal",
	KStateWaiting:     "Samtal väntar",
	KStateActive:      "Ansluten",
	KStateOnHold:      "Parkerat",
	KStateRemoteHold:  "Den andra parten parkerade samtalet",
	KStateEnded:       "Samtalet avslutades",
	KStateMuted:       "Mikrofonen avstängd",
	KHangup:           "Lägg på",
	KHold:             "Parkera",
	KResume:           "Återuppta",
	KMute:             "Stäng av ljud",
	KUnmute:           "Slå på ljud",
	KKeypad:           "Knappsats",
	KTransfer:         "Koppla",
	KSwap:             "Växla",
	KAnswer:           "Svara",
	KReject:           "Avvisa",
	KIncomingFrom:     "Inkommande samtal: %s",
	KCallWaitingFrom:  "Samtal väntar: %s",
	KUnknownCaller:    "Okänd uppringare",
	KHeldCalls:        "Andra samtal",
	KTransferTitle:    "Koppla samtalet",
	KTransferHint:     "Nummer att koppla till",
	KTransferBlind:    "Koppla direkt",
	KTransferConsult:  "Ring först",
	KTransferComplete: "Slutför kopplingen",
	KTransferCancel:   "Avbryt kopplingen",
	KTransferring:     "Kopplar…",
	KConsulting:       "Förfrågan: %s före kopplingen",
	KCancel:           "Avbryt",
	KClose:            "Stäng",
	KLogEmpty:         "Inga samtal ännu.",
	KLogRefresh:       "Uppdatera",
	KLogCallBack:      "Ring tillbaka",
	KLogMissed:        "Missat",
	KLogInbound:       "Inkommande",
	KLogOutbound:      "Utgående",
	KLogUnavailable:   "Samtalsloggen går inte att hämta just nu.",
	KSettingsAccount:  "Konto",
	KSettingsAudio:    "Ljud",
	KSettingsGeneral:  "Allmänt",
	KMicrophone:       "Mikrofon (headset)",
	KSpeaker:          "Högtalare (headset)",
	KRinger:           "Ringenhet",
	KRingerHint:       "Välj datorns högtalare så hör du samtal\näven när headsetet inte är på.",
	KRingVolume:       "Ringvolym",
	KAlsoRing:         "Ring även på",
	KAlsoRingHint:     "En andra enhet som ringer samtidigt,\ntill exempel headsetet när högtalaren ringer.",
	KAlsoRingOff:      "Ingen annan enhet",
	KSystemDefault:    "Systemets standard",
	KDeviceMissing:    "%s (inte ansluten)",
	KLanguage:         "Språk",
	KLanguageHint:     "Ändringen gäller när Softphone\nstartas om.",
	KLogOutButton:     "Logga ut",
	KLoggedInAs:       "Inloggad: %s, server %s",
	KPasswordNote:     "Ditt lösenord sparas på den här datorn så att Softphone\nloggar in automatiskt. Logga ut för att glömma det.",
	KShortcuts:        "Kortkommandon",
	KShortcutsText:    "Enter: ring numret\nCtrl+Shift+A: svara\nCtrl+Shift+H: lägg på eller avvisa\n0–9 * # under samtal: tonval",
	KErrDial:          "Samtalet gick inte att ringa: %s",
	KErrAction:        "Åtgärden misslyckades: %s",
	KErrSettings:      "Inställningarna gick inte att spara: %s",
	KNotifyIncoming:   "Inkommande samtal",
}

// Languages lists the supported UI languages as code → own name, for the language chooser.
var Languages = []struct{ Code, Name string }{{"en", "English"}, {"fi", "Suomi"}, {"sv", "Svenska"}}

// Strings translates keys for one language, falling back to English.
type Strings struct {
	lang  string
	table map[Key]string
}

// NewStrings returns the table for lang ("en", "fi"); empty means the system language from
// $LANGUAGE/$LC_ALL/$LANG; anything unknown is English.
func NewStrings(lang string) Strings {
	if lang == "" {
		lang = systemLanguage()
	}
	switch lang {
	case "fi":
		return Strings{lang: "fi", table: finnish}
	case "sv":
		return Strings{lang: "sv", table: swedish}
	default:
		return Strings{lang: "en", table: english}
	}
}

// Lang is the language code in use.
func (s Strings) Lang() string { return s.lang }

// T returns the text for k.
func (s Strings) T(k Key) string {
	if v, ok := s.table[k]; ok {
		return v
	}
	if v, ok := english[k]; ok {
		return v
	}
	return string(k)
}

// F formats the text for k with args.
func (s Strings) F(k Key, args ...any) string { return fmt.Sprintf(s.T(k), args...) }

func systemLanguage() string {
	for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			l = strings.ToLower(l)
			if len(l) >= 2 {
				return l[:2]
			}
		}
	}
	return "en"
}

// Text keys of presence, colleagues, contacts, chat and SMS.
const (
	KTabColleagues      Key = "tab.colleagues"
	KTabContacts        Key = "tab.contacts"
	KTabChat            Key = "tab.chat"
	KUntil              Key = "pres.until"
	KPhoneOnCall        Key = "pres.oncall"
	KPhoneRinging       Key = "pres.ringing"
	KPhoneDialling      Key = "pres.dialling"
	KPresenceUnknown    Key = "pres.unknown"
	KOffline            Key = "pres.offline"
	KIdleText           Key = "pres.idle"
	KPresenceTitle      Key = "pres.title"
	KPresenceHint       Key = "pres.hint"
	KActivity           Key = "pres.activity"
	KRole               Key = "pres.role"
	KEndTime            Key = "pres.endtime"
	KEndTimeHint        Key = "pres.endtime.hint"
	KEndTimeChosen      Key = "pres.endtime.chosen"
	KNote               Key = "pres.note"
	KNoteHint           Key = "pres.note.hint"
	KUntil30m           Key = "pres.q30m"
	KUntil1h            Key = "pres.q1h"
	KUntil2h            Key = "pres.q2h"
	KUntilEndOfDay      Key = "pres.qeod"
	KUntilTomorrow      Key = "pres.qtomorrow"
	KUntilNone          Key = "pres.qnone"
	KSave               Key = "common.save"
	KSaving             Key = "common.saving"
	KDelete             Key = "common.delete"
	KEdit               Key = "common.edit"
	KBack               Key = "common.back"
	KOpen               Key = "common.open"
	KDismiss            Key = "common.dismiss"
	KErrTimeFormat      Key = "err.time.format"
	KErrTimePast        Key = "err.time.past"
	KErrTimeTooFar      Key = "err.time.far"
	KErrActivity        Key = "err.activity"
	KErrRole            Key = "err.role"
	KErrNoteLong        Key = "err.note.long"
	KErrNoteInvalid     Key = "err.note.invalid"
	KErrPeople          Key = "err.people"
	KSearchHint         Key = "dir.search"
	KNoColleagues       Key = "dir.empty"
	KNoMatches          Key = "dir.nomatch"
	KLoadingPeople      Key = "dir.loading"
	KMe                 Key = "dir.me"
	KChat               Key = "dir.chat"
	KSMS                Key = "dir.sms"
	KGroupFavourites    Key = "con.favourites"
	KGroupColleagues    Key = "con.colleagues"
	KGroupPersonal      Key = "con.personal"
	KGroupOrganisation  Key = "con.org"
	KNoContacts         Key = "con.empty"
	KAddColleague       Key = "con.addcolleague"
	KAddContact         Key = "con.add"
	KEditContact        Key = "con.edit"
	KDeleteConfirm      Key = "con.deleteconfirm"
	KContactName        Key = "con.name"
	KCompany            Key = "con.company"
	KMobile             Key = "con.mobile"
	KPhoneNumber        Key = "con.phone"
	KEmail              Key = "con.email"
	KFavourite          Key = "con.favourite"
	KVIP                Key = "con.vip"
	KPickColleague      Key = "con.pick"
	KErrContactName     Key = "err.con.name"
	KErrContactNameLong Key = "err.con.namelong"
	KErrContactReach    Key = "err.con.reach"
	KErrContactNumber   Key = "err.con.number"
	KErrContactEmail    Key = "err.con.email"
	KErrContactPick     Key = "err.con.pick"
	KNoChats            Key = "chat.empty"
	KChatHint           Key = "chat.hint"
	KChatYou            Key = "chat.you"
	KSend               Key = "chat.send"
	KNewMessageFrom     Key = "chat.newfrom"
	KChatNoHistory      Key = "chat.nohistory"
	KSMSTitle           Key = "sms.title"
	KSMSTo              Key = "sms.to"
	KSMSText            Key = "sms.text"
	KSMSCounter         Key = "sms.counter"
	KSMSSent            Key = "sms.sent"
	KSending            Key = "sms.sending"
	KErrSMSNumber       Key = "err.sms.number"
	KErrSMSEmpty        Key = "err.sms.empty"
	KErrSMSLong         Key = "err.sms.long"
)

func init() {
	for k, v := range map[Key]string{
		KTabColleagues:      "Colleagues",
		KTabContacts:        "Contacts",
		KTabChat:            "Chat",
		KUntil:              "until %s",
		KPhoneOnCall:        "On a call",
		KPhoneRinging:       "Ringing",
		KPhoneDialling:      "Calling",
		KPresenceUnknown:    "Presence not loaded",
		KOffline:            "Offline",
		KIdleText:           "Idle",
		KPresenceTitle:      "My presence",
		KPresenceHint:       "Click to change your presence",
		KActivity:           "Activity",
		KRole:               "Role (number shown when you call)",
		KEndTime:            "End time",
		KEndTimeHint:        "Other time, e.g. 14:30 or 24.12.2026 8:00",
		KEndTimeChosen:      "Ends: %s",
		KNote:               "Note",
		KNoteHint:           "A note your colleagues see",
		KUntil30m:           "+30 min",
		KUntil1h:            "+1 h",
		KUntil2h:            "+2 h",
		KUntilEndOfDay:      "End of day %s",
		KUntilTomorrow:      "Tomorrow 8:00",
		KUntilNone:          "No end time",
		KSave:               "Save",
		KSaving:             "Saving…",
		KDelete:             "Delete",
		KEdit:               "Edit",
		KBack:               "Back",
		KOpen:               "Open",
		KDismiss:            "Dismiss",
		KErrTimeFormat:      "Not a time: write the end time as 14:30 or 24.12.2026 14:30.",
		KErrTimePast:        "That end time is already past.",
		KErrTimeTooFar:      "That end time is more than two years ahead.",
		KErrActivity:        "Unknown activity %d: pick one from the list.",
		KErrRole:            "Unknown role %d: pick one from the list.",
		KErrNoteLong:        "The note may have at most %d characters (now %d).",
		KErrNoteInvalid:     "The note contains characters that cannot be saved.",
		KErrPeople:          "Colleagues and chat are not available right now: %s",
		KSearchHint:         "Search name, number, department…",
		KNoColleagues:       "No colleagues yet.",
		KNoMatches:          "Nobody matches “%s”.",
		KLoadingPeople:      "Loading…",
		KMe:                 "%s (you)",
		KChat:               "Chat",
		KSMS:                "SMS",
		KGroupFavourites:    "Favourites",
		KGroupColleagues:    "Colleagues",
		KGroupPersonal:      "My contacts",
		KGroupOrganisation:  "Company contacts",
		KNoContacts:         "No contacts yet. Add colleagues or your own contacts.",
		KAddColleague:       "Add colleague",
		KAddContact:         "Add contact",
		KEditContact:        "Edit contact",
		KDeleteConfirm:      "Delete %s from your contacts?",
		KContactName:        "Name",
		KCompany:            "Company",
		KMobile:             "Mobile",
		KPhoneNumber:        "Phone",
		KEmail:              "Email",
		KFavourite:          "Favourite",
		KVIP:                "VIP",
		KPickColleague:      "Colleague",
		KErrContactName:     "Please enter a name.",
		KErrContactNameLong: "The name is too long.",
		KErrContactReach:    "Please enter a mobile number, phone number or email.",
		KErrContactNumber:   "“%s” is not a phone number.",
		KErrContactEmail:    "“%s” is not an email address.",
		KErrContactPick:     "Please pick a colleague.",
		KNoChats:            "No conversations yet. Start one from Colleagues.",
		KChatHint:           "Write a message",
		KChatYou:            "You: %s",
		KSend:               "Send",
		KNewMessageFrom:     "Message from %s",
		KChatNoHistory:      "No messages yet.",
		KSMSTitle:           "Send SMS",
		KSMSTo:              "To",
		KSMSText:            "Message",
		KSMSCounter:         "%d characters · %d SMS",
		KSMSSent:            "Sent to %s (%d SMS).",
		KSending:            "Sending…",
		KErrSMSNumber:       "Please enter the recipient's mobile number.",
		KErrSMSEmpty:        "Please write the message.",
		KErrSMSLong:         "The message is too long (at most %d SMS).",
	} {
		english[k] = v
	}
	for k, v := range map[Key]string{
		KTabColleagues:      "Kollegat",
		KTabContacts:        "Yhteystiedot",
		KTabChat:            "Chat",
		KUntil:              "%s asti",
		KPhoneOnCall:        "Puhelussa",
		KPhoneRinging:       "Puhelin soi",
		KPhoneDialling:      "Soittaa",
		KPresenceUnknown:    "Tilaa ei ladattu",
		KOffline:            "Ei paikalla",
		KIdleText:           "Ei koneella",
		KPresenceTitle:      "Oma tila",
		KPresenceHint:       "Vaihda tilaa napsauttamalla",
		KActivity:           "Tila",
		KRole:               "Rooli (näkyvä numero soittaessa)",
		KEndTime:            "Päättyy",
		KEndTimeHint:        "Muu aika, esim. 14:30 tai 24.12.2026 8:00",
		KEndTimeChosen:      "Päättyy: %s",
		KNote:               "Lisätieto",
		KNoteHint:           "Kollegoille näkyvä viesti",
		KUntil30m:           "+30 min",
		KUntil1h:            "+1 h",
		KUntil2h:            "+2 h",
		KUntilEndOfDay:      "Päivän loppuun %s",
		KUntilTomorrow:      "Huomenna 8:00",
		KUntilNone:          "Ei päättymisaikaa",
		KSave:               "Tallenna",
		KSaving:             "Tallennetaan…",
		KDelete:             "Poista",
		KEdit:               "Muokkaa",
		KBack:               "Takaisin",
		KOpen:               "Avaa",
		KDismiss:            "Ohita",
		KErrTimeFormat:      "Aika ei kelpaa: kirjoita esim. 14:30 tai 24.12.2026 14:30.",
		KErrTimePast:        "Päättymisaika on jo mennyt.",
		KErrTimeTooFar:      "Päättymisaika on yli kahden vuoden päässä.",
		KErrActivity:        "Tuntematon tila %d: valitse listasta.",
		KErrRole:            "Tuntematon rooli %d: valitse listasta.",
		KErrNoteLong:        "Lisätiedossa saa olla enintään %d merkkiä (nyt %d).",
		KErrNoteInvalid:     "Lisätiedossa on merkkejä, joita ei voi tallentaa.",
		KErrPeople:          "Kollegat ja chat eivät ole juuri nyt saatavilla: %s",
		KSearchHint:         "Hae nimellä, numerolla, osastolla…",
		KNoColleagues:       "Ei vielä kollegoita.",
		KNoMatches:          "Haulla ”%s” ei löytynyt ketään.",
		KLoadingPeople:      "Ladataan…",
		KMe:                 "%s (sinä)",
		KChat:               "Chat",
		KSMS:                "Tekstiviesti",
		KGroupFavourites:    "Suosikit",
		KGroupColleagues:    "Kollegat",
		KGroupPersonal:      "Omat yhteystiedot",
		KGroupOrganisation:  "Yrityksen yhteystiedot",
		KNoContacts:         "Ei vielä yhteystietoja. Lisää kollegoita tai omia yhteystietoja.",
		KAddColleague:       "Lisää kollega",
		KAddContact:         "Lisää yhteystieto",
		KEditContact:        "Muokkaa yhteystietoa",
		KDeleteConfirm:      "Poistetaanko %s yhteystiedoista?",
		KContactName:        "Nimi",
		KCompany:            "Yritys",
		KMobile:             "Matkapuhelin",
		KPhoneNumber:        "Puhelin",
		KEmail:              "Sähköposti",
		KFavourite:          "Suosikki",
		KVIP:                "VIP",
		KPickColleague:      "Kollega",
		KErrContactName:     "Anna nimi.",
		KErrContactNameLong: "Nimi on liian pitkä.",
		KErrContactReach:    "Anna matkapuhelinnumero, puhelinnumero tai sähköposti.",
		KErrContactNumber:   "”%s” ei ole puhelinnumero.",
		KErrContactEmail:    "”%s” ei ole sähköpostiosoite.",
		KErrContactPick:     "Valitse kollega.",
		KNoChats:            "Ei vielä keskusteluja. Aloita Kollegat-välilehdeltä.",
		KChatHint:           "Kirjoita viesti",
		KChatYou:            "Sinä: %s",
		KSend:               "Lähetä",
		KNewMessageFrom:     "Viesti henkilöltä %s",
		KChatNoHistory:      "Ei vielä viestejä.",
		KSMSTitle:           "Lähetä tekstiviesti",
		KSMSTo:              "Vastaanottaja",
		KSMSText:            "Viesti",
		KSMSCounter:         "%d merkkiä · %d viestiä",
		KSMSSent:            "Lähetetty numeroon %s (%d viestiä).",
		KSending:            "Lähetetään…",
		KErrSMSNumber:       "Anna vastaanottajan matkapuhelinnumero.",
		KErrSMSEmpty:        "Kirjoita viesti.",
		KErrSMSLong:         "Viesti on liian pitkä (enintään %d tekstiviestiä).",
	} {
		finnish[k] = v
	}
	for k, v := range map[Key]string{
		KTabColleagues:      "Kollegor",
		KTabContacts:        "Kontakter",
		KTabChat:            "Chatt",
		KUntil:              "till %s",
		KPhoneOnCall:        "I samtal",
		KPhoneRinging:       "Det ringer",
		KPhoneDialling:      "Ringer upp",
		KPresenceUnknown:    "Status inte laddad",
		KOffline:            "Inte ansluten",
		KIdleText:           "Inaktiv",
		KPresenceTitle:      "Min status",
		KPresenceHint:       "Klicka för att ändra status",
		KActivity:           "Aktivitet",
		KRole:               "Roll (nummer som visas när du ringer)",
		KEndTime:            "Sluttid",
		KEndTimeHint:        "Annan tid, t.ex. 14:30 eller 24.12.2026 8:00",
		KEndTimeChosen:      "Slutar: %s",
		KNote:               "Anteckning",
		KNoteHint:           "En anteckning som kollegorna ser",
		KUntil30m:           "+30 min",
		KUntil1h:            "+1 h",
		KUntil2h:            "+2 h",
		KUntilEndOfDay:      "Dagens slut %s",
		KUntilTomorrow:      "I morgon 8:00",
		KUntilNone:          "Ingen sluttid",
		KSave:               "Spara",
		KSaving:             "Sparar…",
		KDelete:             "Ta bort",
		KEdit:               "Redigera",
		KBack:               "Tillbaka",
		KOpen:               "Öppna",
		KDismiss:            "Stäng",
		KErrTimeFormat:      "Ingen giltig tid: skriv t.ex. 14:30 eller 24.12.2026 14:30.",
		KErrTimePast:        "Sluttiden har redan passerat.",
		KErrTimeTooFar:      "Sluttiden är mer än två år framåt.",
		KErrActivity:        "Okänd aktivitet %d: välj i listan.",
		KErrRole:            "Okänd roll %d: välj i listan.",
		KErrNoteLong:        "Anteckningen får ha högst %d tecken (nu %d).",
		KErrNoteInvalid:     "Anteckningen innehåller tecken som inte kan sparas.",
		KErrPeople:          "Kollegor och chatt är inte tillgängliga just nu: %s",
		KSearchHint:         "Sök namn, nummer, avdelning…",
		KNoColleagues:       "Inga kollegor ännu.",
		KNoMatches:          "Ingen matchar ”%s”.",
		KLoadingPeople:      "Laddar…",
		KMe:                 "%s (du)",
		KChat:               "Chatt",
		KSMS:                "SMS",
		KGroupFavourites:    "Favoriter",
		KGroupColleagues:    "Kollegor",
		KGroupPersonal:      "Mina kontakter",
		KGroupOrganisation:  "Företagets kontakter",
		KNoContacts:         "Inga kontakter ännu. Lägg till kollegor eller egna kontakter.",
		KAddColleague:       "Lägg till kollega",
		KAddContact:         "Lägg till kontakt",
		KEditContact:        "Redigera kontakt",
		KDeleteConfirm:      "Ta bort %s från dina kontakter?",
		KContactName:        "Namn",
		KCompany:            "Företag",
		KMobile:             "Mobil",
		KPhoneNumber:        "Telefon",
		KEmail:              "E-post",
		KFavourite:          "Favorit",
		KVIP:                "VIP",
		KPickColleague:      "Kollega",
		KErrContactName:     "Ange ett namn.",
		KErrContactNameLong: "Namnet är för långt.",
		KErrContactReach:    "Ange ett mobilnummer, telefonnummer eller e-post.",
		KErrContactNumber:   "”%s” är inget telefonnummer.",
		KErrContactEmail:    "”%s” är ingen e-postadress.",
		KErrContactPick:     "Välj en kollega.",
		KNoChats:            "Inga konversationer ännu. Börja en under Kollegor.",
		KChatHint:           "Skriv ett meddelande",
		KChatYou:            "Du: %s",
		KSend:               "Skicka",
		KNewMessageFrom:     "Meddelande från %s",
		KChatNoHistory:      "Inga meddelanden ännu.",
		KSMSTitle:           "Skicka SMS",
		KSMSTo:              "Till",
		KSMSText:            "Meddelande",
		KSMSCounter:         "%d tecken · %d SMS",
		KSMSSent:            "Skickat till %s (%d SMS).",
		KSending:            "Skickar…",
		KErrSMSNumber:       "Ange mottagarens mobilnummer.",
		KErrSMSEmpty:        "Skriv meddelandet.",
		KErrSMSLong:         "Meddelandet är för långt (högst %d SMS).",
	} {
		swedish[k] = v
	}
}

// Texts of issue 9: the login field's forms, where the password is kept, the secure
// transport, emergency calls.
const (
	KErrLoginUser      Key = "login.err.user"
	KErrLoginDomain    Key = "login.err.domain"
	KPasswordKeychain  Key = "set.password.keychain"
	KPasswordFile      Key = "set.password.file"
	KTransport         Key = "set.transport"
	KTransportTLS      Key = "set.transport.tls"
	KSRTP              Key = "set.srtp"
	KSecurityHint      Key = "set.security.hint"
	KSettingsSecurity  Key = "set.security"
	KCallEncrypted     Key = "call.encrypted"
	KEmergencyLocation Key = "call.emergency.location"
	KEmergencyHint     Key = "call.emergency.hint"
	KLoginSecure       Key = "login.secure"
)

func init() {
	for k, v := range map[Key]string{
		KUserHint:          "ext@domain or phone number",
		KLoginIntro:        "Enter the server address, your extension@domain\nor phone number, and your password.",
		KErrLoginUser:      "Type your extension, extension@domain or phone number.",
		KErrLoginDomain:    "After @ comes your organisation's domain, e.g. example.com.",
		KPasswordKeychain:  "Password saved in the system keychain.",
		KPasswordFile:      "Password saved in a file readable only by you (no keychain found):\n%s",
		KTransport:         "Connection",
		KTransportTLS:      "TLS (encrypted)",
		KSRTP:              "Encrypt calls (SRTP)",
		KSecurityHint:      "Encrypted calls need TLS. Changes apply at the next login.",
		KSettingsSecurity:  "Security",
		KCallEncrypted:     "Encrypted",
		KEmergencyLocation: "State your location",
		KEmergencyHint:     "Emergency call: tell where you are – address, floor, landmarks.",
		KLoginSecure:       "Secure connection (TLS and encrypted calls)",
	} {
		english[k] = v
	}
	for k, v := range map[Key]string{
		KUserHint:          "alanumero@verkkotunnus tai puhelinnumero",
		KLoginIntro:        "Anna palvelimen osoite, alanumero@verkkotunnus\ntai puhelinnumerosi ja salasanasi.",
		KErrLoginUser:      "Kirjoita alanumerosi, alanumero@verkkotunnus tai puhelinnumerosi.",
		KErrLoginDomain:    "@-merkin jälkeen tulee organisaatiosi verkkotunnus, esim. yritys.fi.",
		KPasswordKeychain:  "Salasana on tallennettu järjestelmän avainnippuun.",
		KPasswordFile:      "Salasana on tallennettu tiedostoon, jonka vain sinä voit lukea (avainnippua ei löytynyt):\n%s",
		KTransport:         "Yhteys",
		KTransportTLS:      "TLS (salattu)",
		KSRTP:              "Salaa puhelut (SRTP)",
		KSecurityHint:      "Salatut puhelut vaativat TLS:n. Muutokset tulevat voimaan seuraavalla kirjautumisella.",
		KSettingsSecurity:  "Tietoturva",
		KCallEncrypted:     "Salattu",
		KEmergencyLocation: "Kerro sijaintisi",
		KEmergencyHint:     "Hätäpuhelu: kerro missä olet – osoite, kerros, maamerkit.",
		KLoginSecure:       "Suojattu yhteys (TLS ja salatut puhelut)",
	} {
		finnish[k] = v
	}
	for k, v := range map[Key]string{
		KUserHint:          "anknytning@domän eller telefonnummer",
		KLoginIntro:        "Ange serverns adress, anknytning@domän\neller ditt telefonnummer och ditt lösenord.",
		KErrLoginUser:      "Skriv din anknytning, anknytning@domän eller ditt telefonnummer.",
		KErrLoginDomain:    "Efter @ kommer organisationens domän, t.ex. foretag.se.",
		KPasswordKeychain:  "Lösenordet sparas i systemets nyckelring.",
		KPasswordFile:      "Lösenordet sparas i en fil som bara du kan läsa (ingen nyckelring hittades):\n%s",
		KTransport:         "Anslutning",
		KTransportTLS:      "TLS (krypterad)",
		KSRTP:              "Kryptera samtal (SRTP)",
		KSecurityHint:      "Krypterade samtal kräver TLS. Ändringar gäller från nästa inloggning.",
		KSettingsSecurity:  "Säkerhet",
		KCallEncrypted:     "Krypterat",
		KEmergencyLocation: "Uppge var du befinner dig",
		KEmergencyHint:     "Nödsamtal: berätta var du är – adress, våning, landmärken.",
		KLoginSecure:       "Säker anslutning (TLS och krypterade samtal)",
	} {
		swedish[k] = v
	}
}

// Text keys of the agent view and group calls (issue 10: customer-service queues).
const (
	KAgentTitle        Key = "agent.title"
	KAgentLoggedOut    Key = "agent.state.loggedout"
	KAgentAvailable    Key = "agent.state.available"
	KAgentRinging      Key = "agent.state.ringing"
	KAgentInCall       Key = "agent.state.incall"
	KAgentWrapUp       Key = "agent.state.wrapup"
	KAgentWrapUpLeft   Key = "agent.state.wrapupleft"
	KAgentPaused       Key = "agent.state.paused"
	KAgentPausedWhy    Key = "agent.state.pausedwhy"
	KAgentBar          Key = "agent.bar"
	KAgentQueues       Key = "agent.queues"
	KAgentQueuesIn     Key = "agent.queues.in"
	KAgentNoQueues     Key = "agent.queues.none"
	KAgentQueueDetail  Key = "agent.queue.detail"
	KAgentQueueWaiting Key = "agent.queue.waiting"
	KAgentLogIn        Key = "agent.login"
	KAgentLogOut       Key = "agent.logout"
	KAgentPause        Key = "agent.pause"
	KAgentResume       Key = "agent.resume"
	KAgentReason       Key = "agent.reason"
	KAgentReasonHint   Key = "agent.reason.hint"
	KAgentReasonLunch  Key = "agent.reason.lunch"
	KAgentReasonBreak  Key = "agent.reason.break"
	KAgentReasonMeet   Key = "agent.reason.meeting"
	KAgentReasonTrain  Key = "agent.reason.training"
	KAgentReasonAdmin  Key = "agent.reason.admin"
	KAgentPauseHint    Key = "agent.pause.hint"
	KAgentOffer        Key = "agent.offer"
	KAgentCallback     Key = "agent.callback"
	KAgentUnknownState Key = "agent.state.unknown"
	KErrAgent          Key = "err.agent"
	KGroupCall         Key = "call.group"
	KGroupCallback     Key = "call.group.callback"
)

func init() {
	for k, v := range map[Key]string{
		KAgentTitle:        "Customer service",
		KAgentLoggedOut:    "Logged out of all queues",
		KAgentAvailable:    "Available",
		KAgentRinging:      "Queue call ringing",
		KAgentInCall:       "In a call",
		KAgentWrapUp:       "Wrap-up",
		KAgentWrapUpLeft:   "Wrap-up · %s left",
		KAgentPaused:       "Paused",
		KAgentPausedWhy:    "Paused: %s",
		KAgentBar:          "Agent: %s",
		KAgentQueues:       "Your queues",
		KAgentQueuesIn:     "Logged in to %d of %d queues",
		KAgentNoQueues:     "You are not a member of any queue.",
		KAgentQueueDetail:  "%s · skill %d",
		KAgentQueueWaiting: "%d waiting",
		KAgentLogIn:        "Log in",
		KAgentLogOut:       "Log out",
		KAgentPause:        "Pause",
		KAgentResume:       "Resume",
		KAgentReason:       "Pause reason",
		KAgentReasonHint:   "Why you pause, e.g. Lunch",
		KAgentReasonLunch:  "Lunch",
		KAgentReasonBreak:  "Coffee break",
		KAgentReasonMeet:   "Meeting",
		KAgentReasonTrain:  "Training",
		KAgentReasonAdmin:  "Paperwork",
		KAgentPauseHint:    "A pause stops queue calls in every queue; wrap-up time counts down first.",
		KAgentOffer:        "Now: %s",
		KAgentCallback:     "Callback: %s",
		KAgentUnknownState: "Unknown state (%s)",
		KErrAgent:          "Queues: %v",
		KGroupCall:         "%s — %s",
		KGroupCallback:     "Callback request: %s",
	} {
		english[k] = v
	}
	for k, v := range map[Key]string{
		KAgentTitle:        "Asiakaspalvelu",
		KAgentLoggedOut:    "Kirjautunut ulos kaikista jonoista",
		KAgentAvailable:    "Vapaa",
		KAgentRinging:      "Jonopuhelu soi",
		KAgentInCall:       "Puhelussa",
		KAgentWrapUp:       "Jälkikirjaus",
		KAgentWrapUpLeft:   "Jälkikirjaus · %s jäljellä",
		KAgentPaused:       "Tauolla",
		KAgentPausedWhy:    "Tauolla: %s",
		KAgentBar:          "Agentti: %s",
		KAgentQueues:       "Jonosi",
		KAgentQueuesIn:     "Kirjautunut %d/%d jonoon",
		KAgentNoQueues:     "Et ole minkään jonon jäsen.",
		KAgentQueueDetail:  "%s · taito %d",
		KAgentQueueWaiting: "%d jonossa",
		KAgentLogIn:        "Kirjaudu",
		KAgentLogOut:       "Kirjaudu ulos",
		KAgentPause:        "Tauko",
		KAgentResume:       "Jatka",
		KAgentReason:       "Tauon syy",
		KAgentReasonHint:   "Miksi pidät tauon, esim. Lounas",
		KAgentReasonLunch:  "Lounas",
		KAgentReasonBreak:  "Kahvitauko",
		KAgentReasonMeet:   "Palaveri",
		KAgentReasonTrain:  "Koulutus",
		KAgentReasonAdmin:  "Paperityöt",
		KAgentPauseHint:    "Tauko pysäyttää jonopuhelut kaikissa jonoissa; jälkikirjausaika kuluu ensin.",
		KAgentOffer:        "Nyt: %s",
		KAgentCallback:     "Soittopyyntö: %s",
		KAgentUnknownState: "Tuntematon tila (%s)",
		KErrAgent:          "Jonot: %v",
		KGroupCall:         "%s — %s",
		KGroupCallback:     "Soittopyyntö: %s",
	} {
		finnish[k] = v
	}
	for k, v := range map[Key]string{
		KAgentTitle:        "Kundtjänst",
		KAgentLoggedOut:    "Utloggad från alla köer",
		KAgentAvailable:    "Ledig",
		KAgentRinging:      "Samtal från kö ringer",
		KAgentInCall:       "I samtal",
		KAgentWrapUp:       "Efterarbete",
		KAgentWrapUpLeft:   "Efterarbete · %s kvar",
		KAgentPaused:       "Paus",
		KAgentPausedWhy:    "Paus: %s",
		KAgentBar:          "Agent: %s",
		KAgentQueues:       "Dina köer",
		KAgentQueuesIn:     "Inloggad i %d av %d köer",
		KAgentNoQueues:     "Du är inte medlem i någon kö.",
		KAgentQueueDetail:  "%s · kompetens %d",
		KAgentQueueWaiting: "%d väntar",
		KAgentLogIn:        "Logga in",
		KAgentLogOut:       "Logga ut",
		KAgentPause:        "Paus",
		KAgentResume:       "Fortsätt",
		KAgentReason:       "Orsak till paus",
		KAgentReasonHint:   "Varför du pausar, t.ex. Lunch",
		KAgentReasonLunch:  "Lunch",
		KAgentReasonBreak:  "Kaffepaus",
		KAgentReasonMeet:   "Möte",
		KAgentReasonTrain:  "Utbildning",
		KAgentReasonAdmin:  "Pappersarbete",
		KAgentPauseHint:    "En paus stoppar kösamtal i alla köer; efterarbetstiden löper först.",
		KAgentOffer:        "Nu: %s",
		KAgentCallback:     "Återuppringning: %s",
		KAgentUnknownState: "Okänt läge (%s)",
		KErrAgent:          "Köer: %v",
		KGroupCall:         "%s — %s",
		KGroupCallback:     "Återuppringning begärd: %s",
	} {
		swedish[k] = v
	}
}

// Text keys of the switchboard (issue 11: OP-1, OP-2).
const (
	KSwTitle           Key = "sw.title"
	KSwQueues          Key = "sw.queues"
	KSwWaiting         Key = "sw.waiting"
	KSwOneWaiting      Key = "sw.onewaiting"
	KSwNoneWaiting     Key = "sw.waiting.none"
	KSwSearchHint      Key = "sw.search.hint"
	KSwNumberHint      Key = "sw.number.hint"
	KSwColleague       Key = "sw.colleague"
	KSwBadNumber       Key = "sw.badnumber"
	KSwTarget          Key = "sw.target"
	KSwNoHits          Key = "sw.nohits"
	KSwNothingToAnswer Key = "sw.nothingtoanswer"
	KSwAnswered        Key = "sw.answered"
	KSwHungUp          Key = "sw.hungup"
	KSwTransferred     Key = "sw.transferred"
	KSwConsulting      Key = "sw.consulting"
	KSwCompleted       Key = "sw.completed"
	KSwBackToCaller    Key = "sw.back"
	KSwCalling         Key = "sw.calling"
	KSwLoggedIn        Key = "sw.loggedin"
	KSwLoggedOut       Key = "sw.loggedout"
	KSwHelpTitle       Key = "sw.help.title"
	KSwHelpHint        Key = "sw.help.hint"
	KSwNote            Key = "sw.note"
	KSwIdle            Key = "sw.idle"
	KSwKeyHelp         Key = "sw.key.help"
	KSwKeyAnswer       Key = "sw.key.answer"
	KSwKeySearch       Key = "sw.key.search"
	KSwKeyHangup       Key = "sw.key.hangup"
	KSwKeyHold         Key = "sw.key.hold"
	KSwKeyBlind        Key = "sw.key.blind"
	KSwKeyPark         Key = "sw.key.park"
	KSwKeyCampOn       Key = "sw.key.campon"
	KSwKeyRetrieve     Key = "sw.key.retrieve"
	KSwKeyNight        Key = "sw.key.night"
	KSwNight           Key = "sw.night"
	KSwNightOn         Key = "sw.nighton"
	KSwNightOff        Key = "sw.nightoff"
	KSwCallback        Key = "sw.callback"
	KSwRingingAgent    Key = "sw.ringingagent"
	KSwParked          Key = "sw.parked"
	KSwCampedOn        Key = "sw.campedon"
	KSwRetrieving      Key = "sw.retrieving"
	KSwNotColleague    Key = "sw.notcolleague"
	KSwKeyPickup       Key = "sw.key.pickup"
	KSwKeyVoicemail    Key = "sw.key.voicemail"
	KSwPickingUp       Key = "sw.pickingup"
	KSwToVoicemail     Key = "sw.tovoicemail"
	KSwNeedColleague   Key = "sw.needcolleague"
	KSwFwdAll          Key = "sw.fwd.all"
	KSwKeyTake         Key = "sw.key.take"
	KSwTaken           Key = "sw.taken"
	KSwNoSuchCaller    Key = "sw.nosuchcaller"
	KSwFwdRules        Key = "sw.fwd.rules"
	KSwFwdActivity     Key = "sw.fwd.activity"
	KSwFwdVoicemail    Key = "sw.fwd.voicemail"
	KSwFwdRing         Key = "sw.fwd.ring"
	KSwKeyAnnounce     Key = "sw.key.announce"
	KSwKeyComplete     Key = "sw.key.complete"
	KSwKeyBack         Key = "sw.key.back"
	KSwKeyDial         Key = "sw.key.dial"
	KSwKeyNumber       Key = "sw.key.number"
	KSwKeyUp           Key = "sw.key.up"
	KSwKeyDown         Key = "sw.key.down"
	KSwKeyClear        Key = "sw.key.clear"
	KSwKeyQueue        Key = "sw.key.queue"
)

func init() {
	for k, v := range map[Key]string{
		KSwTitle:           "Switchboard",
		KSwQueues:          "Operator queues",
		KSwWaiting:         "%d callers waiting",
		KSwOneWaiting:      "1 caller waiting",
		KSwNoneWaiting:     "No callers waiting",
		KSwSearchHint:      "Search colleagues (F3)",
		KSwNumberHint:      "Number, any form (Ctrl+L)",
		KSwColleague:       "%s (%s)",
		KSwBadNumber:       "Not a phone number: %s",
		KSwTarget:          "Target: %s",
		KSwNoHits:          "No colleague matches the search.",
		KSwNothingToAnswer: "Nothing to answer",
		KSwAnswered:        "Answered",
		KSwHungUp:          "Hung up",
		KSwTransferred:     "Transferred to %s",
		KSwConsulting:      "Calling %s; the caller is on hold (F8 connect, F9 back)",
		KSwCompleted:       "Transfer completed",
		KSwBackToCaller:    "Back with the caller",
		KSwCalling:         "Calling %s",
		KSwLoggedIn:        "Logged in to %s",
		KSwLoggedOut:       "Logged out of %s",
		KSwHelpTitle:       "Keyboard shortcuts",
		KSwHelpHint:        "F1 or Escape closes this list.",
		KSwNote:            "Note: %s",
		KSwIdle:            "Phone free",
		KSwKeyHelp:         "Show or hide these shortcuts",
		KSwKeyAnswer:       "Answer the ringing call",
		KSwKeySearch:       "Search colleagues",
		KSwKeyHangup:       "Hang up, or turn a ringing call away",
		KSwKeyHold:         "Hold or resume the call",
		KSwKeyBlind:        "Transfer to the target now (blind)",
		KSwKeyPark:         "Park the call in the first free system slot (988)",
		KSwKeyCampOn:       "Camp the caller on the busy colleague (982 + extension)",
		KSwKeyRetrieve:     "Retrieve a parked call: slot in the number field, or the oldest",
		KSwParked:          "Call parked",
		KSwCampedOn:        "Caller waits for %s",
		KSwRetrieving:      "Retrieving parked call %s",
		KSwNotColleague:    "Camp-on needs a colleague selected",
		KSwKeyPickup:       "Pick up the selected colleague's ringing call (990 + extension), or any in my groups",
		KSwKeyVoicemail:    "Transfer the caller to the selected colleague's voicemail (981 + extension)",
		KSwPickingUp:       "Picking up %s",
		KSwToVoicemail:     "Caller sent to the voicemail of %s",
		KSwNeedColleague:   "Select a colleague first",
		KSwFwdAll:          "All calls forwarded to %s",
		KSwKeyTake:         "Answer waiting caller n of queue 1 out of turn (n in the number field)",
		KSwTaken:           "Ringing you next: %s (F2 answers)",
		KSwNoSuchCaller:    "Type the caller's place in the queue (1–%d) in the number field",
		KSwFwdRules:        "If busy: %s · no answer in %d s: %s",
		KSwFwdActivity:     "Their activity forwards to %s",
		KSwFwdVoicemail:    "voicemail",
		KSwFwdRing:         "keeps ringing",
		KSwKeyNight:        "Switch night mode of operator queue 1",
		KSwNight:           "night",
		KSwNightOn:         "%s: night mode on, calls go to the night target",
		KSwNightOff:        "%s: night mode off",
		KSwCallback:        "callback",
		KSwRingingAgent:    "ringing",
		KSwKeyAnnounce:     "Announce: hold the caller and call the target",
		KSwKeyComplete:     "Connect the caller to the target",
		KSwKeyBack:         "End the consultation, back to the caller",
		KSwKeyDial:         "Call the target",
		KSwKeyNumber:       "Type or paste a number",
		KSwKeyUp:           "Previous colleague",
		KSwKeyDown:         "Next colleague",
		KSwKeyClear:        "Close the help, or clear the field",
		KSwKeyQueue:        "Log in to or out of operator queue 1–9",
	} {
		english[k] = v
	}
	for k, v := range map[Key]string{
		KSwTitle:           "Vaihde",
		KSwQueues:          "Vaihteen jonot",
		KSwWaiting:         "%d soittajaa jonossa",
		KSwOneWaiting:      "1 soittaja jonossa",
		KSwNoneWaiting:     "Ei jonottajia",
		KSwSearchHint:      "Hae työkavereita (F3)",
		KSwNumberHint:      "Numero missä muodossa tahansa (Ctrl+L)",
		KSwColleague:       "%s (%s)",
		KSwBadNumber:       "Ei puhelinnumero: %s",
		KSwTarget:          "Kohde: %s",
		KSwNoHits:          "Haulla ei löydy työkaveria.",
		KSwNothingToAnswer: "Ei vastattavaa puhelua",
		KSwAnswered:        "Vastattu",
		KSwHungUp:          "Suljettu",
		KSwTransferred:     "Siirretty: %s",
		KSwConsulting:      "Soitetaan: %s; soittaja odottaa (F8 yhdistä, F9 takaisin)",
		KSwCompleted:       "Siirto valmis",
		KSwBackToCaller:    "Takaisin soittajan kanssa",
		KSwCalling:         "Soitetaan: %s",
		KSwLoggedIn:        "Kirjauduttu jonoon %s",
		KSwLoggedOut:       "Kirjauduttu ulos jonosta %s",
		KSwHelpTitle:       "Pikanäppäimet",
		KSwHelpHint:        "F1 tai Esc sulkee listan.",
		KSwNote:            "Viesti: %s",
		KSwIdle:            "Puhelin vapaa",
		KSwKeyHelp:         "Näytä tai piilota pikanäppäimet",
		KSwKeyAnswer:       "Vastaa soivaan puheluun",
		KSwKeySearch:       "Hae työkavereita",
		KSwKeyHangup:       "Sulje puhelu tai hylkää soiva",
		KSwKeyHold:         "Pito tai jatka",
		KSwKeyBlind:        "Siirrä kohteeseen heti",
		KSwKeyPark:         "Pysäköi puhelu ensimmäiseen vapaaseen paikkaan (988)",
		KSwKeyCampOn:       "Jonota soittaja varatulle kollegalle (982 + alanumero)",
		KSwKeyRetrieve:     "Nouda pysäköity puhelu: paikka numerokenttään, tai vanhin",
		KSwParked:          "Puhelu pysäköity",
		KSwCampedOn:        "Soittaja odottaa: %s",
		KSwRetrieving:      "Noudetaan pysäköity puhelu %s",
		KSwNotColleague:    "Jonotus vaatii valitun kollegan",
		KSwKeyPickup:       "Poimi valitun kollegan soiva puhelu (990 + alanumero), tai mikä tahansa ryhmieni",
		KSwKeyVoicemail:    "Siirrä soittaja valitun kollegan vastaajaan (981 + alanumero)",
		KSwPickingUp:       "Poimitaan: %s",
		KSwToVoicemail:     "Soittaja siirretty vastaajaan: %s",
		KSwNeedColleague:   "Valitse ensin kollega",
		KSwFwdAll:          "Kaikki puhelut siirretty: %s",
		KSwKeyTake:         "Vastaa jonon 1 soittajaan n ohi jonon (n numerokenttään)",
		KSwTaken:           "Soi sinulle seuraavaksi: %s (F2 vastaa)",
		KSwNoSuchCaller:    "Kirjoita soittajan paikka jonossa (1–%d) numerokenttään",
		KSwFwdRules:        "Varattu: %s · ei vastaa %d s: %s",
		KSwFwdActivity:     "Tilan mukainen siirto: %s",
		KSwFwdVoicemail:    "vastaaja",
		KSwFwdRing:         "soi edelleen",
		KSwKeyNight:        "Yötila päälle tai pois: operaattorijono 1",
		KSwNight:           "yötila",
		KSwNightOn:         "%s: yötila päällä, puhelut yökohteeseen",
		KSwNightOff:        "%s: yötila pois",
		KSwCallback:        "takaisinsoitto",
		KSwRingingAgent:    "soi",
		KSwKeyAnnounce:     "Esittele: soittaja pitoon ja soita kohteelle",
		KSwKeyComplete:     "Yhdistä soittaja kohteeseen",
		KSwKeyBack:         "Lopeta tiedustelu, takaisin soittajalle",
		KSwKeyDial:         "Soita kohteelle",
		KSwKeyNumber:       "Kirjoita tai liitä numero",
		KSwKeyUp:           "Edellinen työkaveri",
		KSwKeyDown:         "Seuraava työkaveri",
		KSwKeyClear:        "Sulje ohje tai tyhjennä kenttä",
		KSwKeyQueue:        "Kirjaudu vaihteen jonoon 1–9 tai ulos",
	} {
		finnish[k] = v
	}
	for k, v := range map[Key]string{
		KSwTitle:           "Växel",
		KSwQueues:          "Växelns köer",
		KSwWaiting:         "%d uppringare väntar",
		KSwOneWaiting:      "1 uppringare väntar",
		KSwNoneWaiting:     "Ingen väntar",
		KSwSearchHint:      "Sök kolleger (F3)",
		KSwNumberHint:      "Nummer i valfri form (Ctrl+L)",
		KSwColleague:       "%s (%s)",
		KSwBadNumber:       "Inte ett telefonnummer: %s",
		KSwTarget:          "Mål: %s",
		KSwNoHits:          "Ingen kollega matchar sökningen.",
		KSwNothingToAnswer: "Inget samtal att svara på",
		KSwAnswered:        "Besvarat",
		KSwHungUp:          "Avslutat",
		KSwTransferred:     "Kopplat till %s",
		KSwConsulting:      "Ringer %s; uppringaren väntar (F8 koppla, F9 tillbaka)",
		KSwCompleted:       "Kopplingen klar",
		KSwBackToCaller:    "Tillbaka hos uppringaren",
		KSwCalling:         "Ringer %s",
		KSwLoggedIn:        "Inloggad i %s",
		KSwLoggedOut:       "Utloggad från %s",
		KSwHelpTitle:       "Kortkommandon",
		KSwHelpHint:        "F1 eller Esc stänger listan.",
		KSwNote:            "Meddelande: %s",
		KSwIdle:            "Telefonen ledig",
		KSwKeyHelp:         "Visa eller dölj kortkommandona",
		KSwKeyAnswer:       "Svara på samtalet som ringer",
		KSwKeySearch:       "Sök kolleger",
		KSwKeyHangup:       "Lägg på, eller avvisa ett ringande samtal",
		KSwKeyHold:         "Parkera eller återta samtalet",
		KSwKeyBlind:        "Koppla till målet direkt",
		KSwKeyPark:         "Parkera samtalet på första lediga plats (988)",
		KSwKeyCampOn:       "Låt den som ringer vänta på en upptagen kollega (982 + anknytning)",
		KSwKeyRetrieve:     "Hämta ett parkerat samtal: plats i nummerfältet, eller det äldsta",
		KSwParked:          "Samtalet parkerat",
		KSwCampedOn:        "Den som ringer väntar på %s",
		KSwRetrieving:      "Hämtar parkerat samtal %s",
		KSwNotColleague:    "Väntan kräver en vald kollega",
		KSwKeyPickup:       "Besvara den valda kollegans ringande samtal (990 + anknytning), eller vilket som helst i mina grupper",
		KSwKeyVoicemail:    "Koppla den som ringer till den valda kollegans röstbrevlåda (981 + anknytning)",
		KSwPickingUp:       "Besvarar %s",
		KSwToVoicemail:     "Den som ringer kopplad till röstbrevlådan för %s",
		KSwNeedColleague:   "Välj en kollega först",
		KSwFwdAll:          "Alla samtal kopplas vidare till %s",
		KSwKeyTake:         "Svara på väntande uppringare n i kö 1 före tur (n i nummerfältet)",
		KSwTaken:           "Ringer dig härnäst: %s (F2 svarar)",
		KSwNoSuchCaller:    "Skriv uppringarens plats i kön (1–%d) i nummerfältet",
		KSwFwdRules:        "Upptagen: %s · inget svar på %d s: %s",
		KSwFwdActivity:     "Statusen kopplar vidare till %s",
		KSwFwdVoicemail:    "röstbrevlåda",
		KSwFwdRing:         "fortsätter ringa",
		KSwKeyNight:        "Slå på eller av nattläge: operatörskö 1",
		KSwNight:           "nattläge",
		KSwNightOn:         "%s: nattläge på, samtal till nattmålet",
		KSwNightOff:        "%s: nattläge av",
		KSwCallback:        "återuppringning",
		KSwRingingAgent:    "ringer",
		KSwKeyAnnounce:     "Presentera: uppringaren väntar, ring målet",
		KSwKeyComplete:     "Koppla uppringaren till målet",
		KSwKeyBack:         "Avsluta förfrågan, tillbaka till uppringaren",
		KSwKeyDial:         "Ring målet",
		KSwKeyNumber:       "Skriv eller klistra in ett nummer",
		KSwKeyUp:           "Föregående kollega",
		KSwKeyDown:         "Nästa kollega",
		KSwKeyClear:        "Stäng hjälpen, eller töm fältet",
		KSwKeyQueue:        "Logga in i eller ut ur växelkö 1–9",
	} {
		swedish[k] = v
	}
}

// Text keys of the supervisor view (issue 11: GRP-9).
const (
	KSupTitle      Key = "sup.title"
	KSupNoQueues   Key = "sup.noqueues"
	KSupWaiting    Key = "sup.waiting"
	KSupLongest    Key = "sup.longest"
	KSupAverage    Key = "sup.average"
	KSupAnswered   Key = "sup.answered"
	KSupAbandoned  Key = "sup.abandoned"
	KSupOverflowed Key = "sup.overflowed"
	KSupCallbacks  Key = "sup.callbacks"
	KSupEstimate   Key = "sup.estimate"
	KSupNight      Key = "sup.night"
	KSupLoggedOut  Key = "sup.loggedout"
	KSupAgents     Key = "sup.agents"
	KSupAgentCalls Key = "sup.agentcalls"
	KSupRefresh    Key = "sup.refresh"
)

func init() {
	for lang, m := range map[string]map[Key]string{
		"en": {KSupTitle: "Supervisor", KSupNoQueues: "No queue statistics yet.", KSupWaiting: "Waiting",
			KSupLongest: "Longest wait", KSupAverage: "Average wait", KSupAnswered: "Answered",
			KSupAbandoned: "Abandoned", KSupOverflowed: "Overflowed", KSupCallbacks: "Callbacks",
			KSupEstimate: "Estimated wait", KSupNight: "night mode", KSupLoggedOut: "Logged out",
			KSupAgents: "Agents", KSupAgentCalls: "%s answered", KSupRefresh: "Refresh"},
		"fi": {KSupTitle: "Esimies", KSupNoQueues: "Ei vielä jonotilastoja.", KSupWaiting: "Jonossa",
			KSupLongest: "Pisin odotus", KSupAverage: "Keskim. odotus", KSupAnswered: "Vastattu",
			KSupAbandoned: "Luopuneet", KSupOverflowed: "Ylivuoto", KSupCallbacks: "Soittopyynnöt",
			KSupEstimate: "Arvioitu odotus", KSupNight: "yötila", KSupLoggedOut: "Kirjautunut ulos",
			KSupAgents: "Agentit", KSupAgentCalls: "%s vastattu", KSupRefresh: "Päivitä"},
		"sv": {KSupTitle: "Arbetsledare", KSupNoQueues: "Ingen köstatistik än.", KSupWaiting: "Väntar",
			KSupLongest: "Längsta väntan", KSupAverage: "Medelväntan", KSupAnswered: "Besvarade",
			KSupAbandoned: "Avbrutna", KSupOverflowed: "Överflöde", KSupCallbacks: "Återuppringningar",
			KSupEstimate: "Beräknad väntan", KSupNight: "nattläge", KSupLoggedOut: "Utloggad",
			KSupAgents: "Agenter", KSupAgentCalls: "%s besvarade", KSupRefresh: "Uppdatera"},
	} {
		t := map[string]map[Key]string{"en": english, "fi": finnish, "sv": swedish}[lang]
		for k, v := range m {
			t[k] = v
		}
	}
}

// Console events (OP-1): camp-on waiters and the switchboard's parked calls.
const (
	KCampOnOne        Key = "campon.one"
	KCampOnMany       Key = "campon.many"
	KSwParkedTitle    Key = "sw.parked.title"
	KSwNoParked       Key = "sw.parked.none"
	KSwParkedLine     Key = "sw.parked.line"
	KSwParkedBy       Key = "sw.parked.by"
	KSwParkedRinging  Key = "sw.parked.ringing"
	KSwCampedOnCount  Key = "sw.campon.count"
	KSwParkedRetrieve Key = "sw.parked.retrieve"
)

func init() {
	for lang, m := range map[string]map[Key]string{
		"en": {KCampOnOne: "1 caller waiting for you (camp-on)", KCampOnMany: "%d callers waiting for you (camp-on)",
			KSwParkedTitle: "Parked calls", KSwNoParked: "No parked calls", KSwParkedLine: "Slot %d · %s · %s",
			KSwParkedBy: "parked by %s", KSwParkedRinging: "ringing back", KSwCampedOnCount: "%d camped on",
			KSwParkedRetrieve: "dial %s"},
		"fi": {KCampOnOne: "1 soittaja odottaa sinua (jonotus)", KCampOnMany: "%d soittajaa odottaa sinua (jonotus)",
			KSwParkedTitle: "Pysäköidyt puhelut", KSwNoParked: "Ei pysäköityjä puheluita", KSwParkedLine: "Paikka %d · %s · %s",
			KSwParkedBy: "pysäköi %s", KSwParkedRinging: "soittaa takaisin", KSwCampedOnCount: "%d jonottaa",
			KSwParkedRetrieve: "valitse %s"},
		"sv": {KCampOnOne: "1 uppringare väntar på dig (kökoppling)", KCampOnMany: "%d uppringare väntar på dig (kökoppling)",
			KSwParkedTitle: "Parkerade samtal", KSwNoParked: "Inga parkerade samtal", KSwParkedLine: "Plats %d · %s · %s",
			KSwParkedBy: "parkerat av %s", KSwParkedRinging: "ringer tillbaka", KSwCampedOnCount: "%d väntar",
			KSwParkedRetrieve: "slå %s"},
	} {
		t := map[string]map[Key]string{"en": english, "fi": finnish, "sv": swedish}[lang]
		for k, v := range m {
			t[k] = v
		}
	}
}

// Tray, close to tray and the notifications of new voicemail (issue 12).
const (
	KTrayShow        Key = "tray.show"
	KTrayQuit        Key = "tray.quit"
	KTrayMissedOne   Key = "tray.missed.one"
	KTrayMissedMany  Key = "tray.missed.many"
	KKeepInTray      Key = "settings.keepintray"
	KKeepInTrayHint  Key = "settings.keepintray.hint"
	KNotifyVoicemail Key = "notify.voicemail"
	KVoicemailFrom   Key = "notify.voicemail.from"
)

func init() {
	for lang, m := range map[string]map[Key]string{
		"en": {KTrayShow: "Show Vaihde", KTrayQuit: "Quit", KTrayMissedOne: "1 missed call", KTrayMissedMany: "%d missed calls",
			KKeepInTray:      "Keep running in the tray when the window is closed",
			KKeepInTrayHint:  "Calls still ring and messages still arrive;\nQuit in the tray menu ends the Softphone.",
			KNotifyVoicemail: "New voicemail", KVoicemailFrom: "From %s"},
		"fi": {KTrayShow: "Näytä Vaihde", KTrayQuit: "Lopeta", KTrayMissedOne: "1 vastaamaton puhelu", KTrayMissedMany: "%d vastaamatonta puhelua",
			KKeepInTray:      "Pidä käynnissä ilmoitusalueella, kun ikkuna suljetaan",
			KKeepInTrayHint:  "Puhelut soivat ja viestit tulevat silti;\nilmoitusalueen valikon Lopeta sulkee ohjelman.",
			KNotifyVoicemail: "Uusi vastaajaviesti", KVoicemailFrom: "Soittaja: %s"},
		"sv": {KTrayShow: "Visa Vaihde", KTrayQuit: "Avsluta", KTrayMissedOne: "1 missat samtal", KTrayMissedMany: "%d missade samtal",
			KKeepInTray:      "Fortsätt köra i meddelandefältet när fönstret stängs",
			KKeepInTrayHint:  "Samtal ringer och meddelanden kommer ändå;\nAvsluta i fältets meny stänger programmet.",
			KNotifyVoicemail: "Nytt röstmeddelande", KVoicemailFrom: "Från %s"},
	} {
		t := map[string]map[Key]string{"en": english, "fi": finnish, "sv": swedish}[lang]
		for k, v := range m {
			t[k] = v
		}
	}
}
