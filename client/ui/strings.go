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
