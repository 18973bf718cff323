package ui

// Text keys of the Voicemail tab and the forwarding and voicemail settings (issue 4).
const (
	KTabVoicemail        Key = "tab.voicemail"
	KVMEmpty             Key = "vm.empty"
	KVMPlay              Key = "vm.play"
	KVMStop              Key = "vm.stop"
	KVMLoading           Key = "vm.loading"
	KVMCallBack          Key = "vm.callback"
	KVMDeleteTitle       Key = "vm.delete.title"
	KVMDeleteConfirm     Key = "vm.delete.confirm"
	KVMNew               Key = "vm.new"
	KVMRecording         Key = "vm.recording"
	KVMFax               Key = "vm.fax"
	KVMCounts            Key = "vm.counts"
	KVMSettingsButton    Key = "vm.settings"
	KVMErrPlay           Key = "vm.err.play"
	KFwdTitle            Key = "fwd.title"
	KFwdImmediate        Key = "fwd.immediate"
	KFwdImmediateHint    Key = "fwd.immediate.hint"
	KFwdNumberHint       Key = "fwd.number.hint"
	KFwdConditional      Key = "fwd.conditional"
	KFwdBusy             Key = "fwd.busy"
	KFwdNoAnswer         Key = "fwd.noanswer"
	KFwdRingTime         Key = "fwd.ringtime"
	KFwdSeconds          Key = "fwd.seconds"
	KFwdUnreachable      Key = "fwd.unreachable"
	KFwdVoicemail        Key = "fwd.voicemail"
	KFwdNone             Key = "fwd.none"
	KFwdNumber           Key = "fwd.number"
	KFwdDefault          Key = "fwd.default"
	KFwdActivities       Key = "fwd.activities"
	KFwdActivitiesHint   Key = "fwd.activities.hint"
	KFwdNoActivities     Key = "fwd.activities.none"
	KVMEnabled           Key = "vm.enabled"
	KVMNotify            Key = "vm.notify"
	KVMNotifySMS         Key = "vm.notify.sms"
	KVMNotifyEmail       Key = "vm.notify.email"
	KVMNotifyBoth        Key = "vm.notify.both"
	KVMEmailTo           Key = "vm.emailto"
	KVMAnnounce          Key = "vm.announce"
	KVMCustomerService   Key = "vm.cs"
	KVMCustomerHint      Key = "vm.cs.hint"
	KVMOfferBypass       Key = "vm.bypass"
	KVMPIN               Key = "vm.pin"
	KVMPINHint           Key = "vm.pin.hint"
	KVMPINSet            Key = "vm.pin.set"
	KVMPINNotSet         Key = "vm.pin.notset"
	KVMChangePIN         Key = "vm.pin.change"
	KVMPINChanged        Key = "vm.pin.changed"
	KVMGreeting          Key = "vm.greeting"
	KVMGreetingDefault   Key = "vm.greeting.default"
	KFwdAway             Key = "fwd.away"
	KFwdVIPs             Key = "fwd.vips"
	KFwdNoVIPs           Key = "fwd.novips"
	KFwdVIPHint          Key = "fwd.viphint"
	KFwdSaved            Key = "fwd.saved"
	KErrFwdNumber        Key = "err.fwd.number"
	KErrFwdUnavailable   Key = "err.fwd.unavailable"
	KErrVMPIN            Key = "err.vm.pin"
	KVMForwardingSummary Key = "vm.fwd.summary"
	KFwdImmediateTitle   Key = "fwd.immediate.title"
	KFwdOpen             Key = "fwd.open"
	KFwdSettingsHint     Key = "fwd.settings.hint"
)

func init() {
	for k, v := range map[Key]string{
		KTabVoicemail:        "Voicemail",
		KVMEmpty:             "No voicemail messages.",
		KVMPlay:              "Play",
		KVMStop:              "Stop",
		KVMLoading:           "Loading…",
		KVMCallBack:          "Call back",
		KVMDeleteTitle:       "Delete message",
		KVMDeleteConfirm:     "Delete the message from %s?",
		KVMNew:               "New",
		KVMRecording:         "Recorded call",
		KVMFax:               "Fax",
		KVMCounts:            "%d new · %d old",
		KVMSettingsButton:    "Forwarding…",
		KVMErrPlay:           "Cannot play the message: %v",
		KFwdTitle:            "Forwarding and voicemail",
		KFwdImmediate:        "Forward all my calls to",
		KFwdImmediateHint:    "From any phone: dial 987 and the number; 987 alone turns it off.",
		KFwdNumberHint:       "Number or extension",
		KFwdConditional:      "When I cannot answer",
		KFwdBusy:             "When busy",
		KFwdNoAnswer:         "When not answered",
		KFwdRingTime:         "Ring for",
		KFwdSeconds:          "%d s",
		KFwdUnreachable:      "When not reachable",
		KFwdVoicemail:        "Voicemail",
		KFwdNone:             "No forwarding",
		KFwdNumber:           "Number",
		KFwdDefault:          "Default",
		KFwdActivities:       "By activity",
		KFwdActivitiesHint:   "Calls to my company number during an activity.\nDefault: the rules above.",
		KFwdNoActivities:     "The activities have not loaded yet.",
		KVMEnabled:           "Voicemail on",
		KVMNotify:            "New messages are told by",
		KVMNotifySMS:         "SMS",
		KVMNotifyEmail:       "Email",
		KVMNotifyBoth:        "SMS and email",
		KVMEmailTo:           "Email goes to %s.",
		KVMAnnounce:          "The greeting tells my activity and when it ends",
		KVMCustomerService:   "Customer service (\"press 1\")",
		KVMCustomerHint:      "Number offered to callers; empty: not offered",
		KVMOfferBypass:       "Offer \"press 2 to reach me anyway\"",
		KVMPIN:               "Mailbox PIN",
		KVMPINHint:           "4–8 digits",
		KVMPINSet:            "A PIN is set.",
		KVMPINNotSet:         "No PIN yet: other phones cannot open the mailbox.",
		KVMChangePIN:         "Change PIN",
		KVMPINChanged:        "PIN changed.",
		KVMGreeting:          "Greeting: my own recording.",
		KVMGreetingDefault:   "Greeting: the default one; record your own by calling voicemail.",
		KFwdAway:             "Away notice",
		KFwdVIPs:             "These numbers ring through the away notice:",
		KFwdNoVIPs:           "No VIP contacts.",
		KFwdVIPHint:          "Mark contacts as VIP in Contacts.",
		KFwdSaved:            "Saved",
		KErrFwdNumber:        "%s: enter a number.",
		KErrFwdUnavailable:   "Cannot load the settings: %v",
		KErrVMPIN:            "The PIN must be 4–8 digits.",
		KVMForwardingSummary: "All calls go to %s.",
		KFwdImmediateTitle:   "Immediate forwarding",
		KFwdOpen:             "Change…",
		KFwdSettingsHint:     "Where calls go when you are busy, away or do not answer;\nvoicemail notifications, greeting options and PIN.",
	} {
		english[k] = v
	}
	for k, v := range map[Key]string{
		KTabVoicemail:        "Vastaaja",
		KVMEmpty:             "Ei vastaajaviestejä.",
		KVMPlay:              "Kuuntele",
		KVMStop:              "Pysäytä",
		KVMLoading:           "Ladataan…",
		KVMCallBack:          "Soita takaisin",
		KVMDeleteTitle:       "Poista viesti",
		KVMDeleteConfirm:     "Poistetaanko viesti, jonka jätti %s?",
		KVMNew:               "Uusi",
		KVMRecording:         "Nauhoitettu puhelu",
		KVMFax:               "Faksi",
		KVMCounts:            "%d uutta · %d vanhaa",
		KVMSettingsButton:    "Soitonsiirrot…",
		KVMErrPlay:           "Viestiä ei voi toistaa: %v",
		KFwdTitle:            "Soitonsiirrot ja vastaaja",
		KFwdImmediate:        "Siirrä kaikki puheluni numeroon",
		KFwdImmediateHint:    "Mistä tahansa puhelimesta: 987 ja numero; pelkkä 987 poistaa siirron.",
		KFwdNumberHint:       "Numero tai alanumero",
		KFwdConditional:      "Kun en voi vastata",
		KFwdBusy:             "Varattuna",
		KFwdNoAnswer:         "Kun en vastaa",
		KFwdRingTime:         "Hälytysaika",
		KFwdSeconds:          "%d s",
		KFwdUnreachable:      "Kun en ole tavoitettavissa",
		KFwdVoicemail:        "Vastaaja",
		KFwdNone:             "Ei siirtoa",
		KFwdNumber:           "Numeroon",
		KFwdDefault:          "Oletus",
		KFwdActivities:       "Tilan mukaan",
		KFwdActivitiesHint:   "Yritysnumerooni tulevat puhelut tilan aikana.\nOletus: yllä olevat säännöt.",
		KFwdNoActivities:     "Tiloja ei ole vielä ladattu.",
		KVMEnabled:           "Vastaaja käytössä",
		KVMNotify:            "Uusista viesteistä ilmoitetaan",
		KVMNotifySMS:         "Tekstiviestillä",
		KVMNotifyEmail:       "Sähköpostilla",
		KVMNotifyBoth:        "Tekstiviestillä ja sähköpostilla",
		KVMEmailTo:           "Sähköposti osoitteeseen %s.",
		KVMAnnounce:          "Tervehdys kertoo tilani ja sen päättymisajan",
		KVMCustomerService:   "Asiakaspalvelu (\"paina 1\")",
		KVMCustomerHint:      "Soittajille tarjottava numero; tyhjä: ei tarjota",
		KVMOfferBypass:       "Tarjoa \"paina 2, niin yhdistetään silti\"",
		KVMPIN:               "Vastaajan PIN-koodi",
		KVMPINHint:           "4–8 numeroa",
		KVMPINSet:            "PIN-koodi on asetettu.",
		KVMPINNotSet:         "Ei PIN-koodia: muista puhelimista ei pääse vastaajaan.",
		KVMChangePIN:         "Vaihda PIN",
		KVMPINChanged:        "PIN-koodi vaihdettu.",
		KVMGreeting:          "Tervehdys: oma äänitys.",
		KVMGreetingDefault:   "Tervehdys: oletus; äänitä oma soittamalla vastaajaan.",
		KFwdAway:             "Poissaolotiedote",
		KFwdVIPs:             "Nämä numerot ohittavat poissaolotiedotteen:",
		KFwdNoVIPs:           "Ei VIP-yhteystietoja.",
		KFwdVIPHint:          "Merkitse yhteystiedot VIP:ksi Yhteystiedot-välilehdellä.",
		KFwdSaved:            "Tallennettu",
		KErrFwdNumber:        "%s: anna numero.",
		KErrFwdUnavailable:   "Asetuksia ei voi ladata: %v",
		KErrVMPIN:            "PIN-koodissa on 4–8 numeroa.",
		KVMForwardingSummary: "Kaikki puhelut siirtyvät numeroon %s.",
		KFwdImmediateTitle:   "Suora siirto",
		KFwdOpen:             "Muuta…",
		KFwdSettingsHint:     "Minne puhelut menevät, kun olet varattu, poissa tai et vastaa;\nvastaajan ilmoitukset, tervehdys ja PIN-koodi.",
	} {
		finnish[k] = v
	}
	for k, v := range map[Key]string{
		KTabVoicemail:        "Röstbrevlåda",
		KVMEmpty:             "Inga röstmeddelanden.",
		KVMPlay:              "Spela upp",
		KVMStop:              "Stoppa",
		KVMLoading:           "Hämtar…",
		KVMCallBack:          "Ring upp",
		KVMDeleteTitle:       "Radera meddelande",
		KVMDeleteConfirm:     "Radera meddelandet från %s?",
		KVMNew:               "Nytt",
		KVMRecording:         "Inspelat samtal",
		KVMFax:               "Fax",
		KVMCounts:            "%d nya · %d gamla",
		KVMSettingsButton:    "Vidarekoppling…",
		KVMErrPlay:           "Kan inte spela upp meddelandet: %v",
		KFwdTitle:            "Vidarekoppling och röstbrevlåda",
		KFwdImmediate:        "Koppla alla mina samtal till",
		KFwdImmediateHint:    "Från vilken telefon som helst: 987 och numret; bara 987 tar bort.",
		KFwdNumberHint:       "Nummer eller anknytning",
		KFwdConditional:      "När jag inte kan svara",
		KFwdBusy:             "Vid upptaget",
		KFwdNoAnswer:         "Vid inget svar",
		KFwdRingTime:         "Ringtid",
		KFwdSeconds:          "%d s",
		KFwdUnreachable:      "När jag inte kan nås",
		KFwdVoicemail:        "Röstbrevlåda",
		KFwdNone:             "Ingen vidarekoppling",
		KFwdNumber:           "Nummer",
		KFwdDefault:          "Standard",
		KFwdActivities:       "Enligt aktivitet",
		KFwdActivitiesHint:   "Samtal till mitt företagsnummer under en aktivitet.\nStandard: reglerna ovan.",
		KFwdNoActivities:     "Aktiviteterna har inte laddats ännu.",
		KVMEnabled:           "Röstbrevlåda på",
		KVMNotify:            "Nya meddelanden meddelas via",
		KVMNotifySMS:         "SMS",
		KVMNotifyEmail:       "E-post",
		KVMNotifyBoth:        "SMS och e-post",
		KVMEmailTo:           "E-post till %s.",
		KVMAnnounce:          "Hälsningen berättar min aktivitet och när den slutar",
		KVMCustomerService:   "Kundtjänst (\"tryck 1\")",
		KVMCustomerHint:      "Nummer som erbjuds uppringare; tomt: erbjuds inte",
		KVMOfferBypass:       "Erbjud \"tryck 2 för att nå mig ändå\"",
		KVMPIN:               "Brevlådans PIN-kod",
		KVMPINHint:           "4–8 siffror",
		KVMPINSet:            "En PIN-kod är satt.",
		KVMPINNotSet:         "Ingen PIN-kod: andra telefoner kan inte öppna brevlådan.",
		KVMChangePIN:         "Byt PIN",
		KVMPINChanged:        "PIN-koden bytt.",
		KVMGreeting:          "Hälsning: min egen inspelning.",
		KVMGreetingDefault:   "Hälsning: standard; spela in en egen genom att ringa röstbrevlådan.",
		KFwdAway:             "Frånvaromeddelande",
		KFwdVIPs:             "Dessa nummer går förbi frånvaromeddelandet:",
		KFwdNoVIPs:           "Inga VIP-kontakter.",
		KFwdVIPHint:          "Markera kontakter som VIP under Kontakter.",
		KFwdSaved:            "Sparat",
		KErrFwdNumber:        "%s: ange ett nummer.",
		KErrFwdUnavailable:   "Kan inte läsa inställningarna: %v",
		KErrVMPIN:            "PIN-koden har 4–8 siffror.",
		KVMForwardingSummary: "Alla samtal går till %s.",
		KFwdImmediateTitle:   "Direkt vidarekoppling",
		KFwdOpen:             "Ändra…",
		KFwdSettingsHint:     "Vart samtal går när du är upptagen, borta eller inte svarar;\nröstbrevlådans aviseringar, hälsning och PIN-kod.",
	} {
		swedish[k] = v
	}
}

// Text keys of the office hours in the forwarding screen (ROUTE-3).
const (
	KFwdHours     Key = "fwd.hours"
	KFwdHoursOn   Key = "fwd.hours.on"
	KFwdHoursHint Key = "fwd.hours.hint"
	KFwdTime      Key = "fwd.hours.time"
	KFwdOutside   Key = "fwd.hours.outside"
	KFwdMon       Key = "fwd.day.mon"
	KFwdTue       Key = "fwd.day.tue"
	KFwdWed       Key = "fwd.day.wed"
	KFwdThu       Key = "fwd.day.thu"
	KFwdFri       Key = "fwd.day.fri"
	KFwdSat       Key = "fwd.day.sat"
	KFwdSun       Key = "fwd.day.sun"
	KErrFwdNoDays Key = "err.fwd.nodays"
)

func init() {
	for lang, texts := range map[string]map[Key]string{
		"en": {
			KFwdHours:     "Office hours",
			KFwdHoursOn:   "Use office hours",
			KFwdHoursHint: "Outside office hours, calls to my company number go where chosen below;\nmy mobile number and group calls ring as usual.",
			KFwdTime:      "Hours",
			KFwdOutside:   "Outside office hours",
			KFwdMon:       "Mon",
			KFwdTue:       "Tue",
			KFwdWed:       "Wed",
			KFwdThu:       "Thu",
			KFwdFri:       "Fri",
			KFwdSat:       "Sat",
			KFwdSun:       "Sun",
			KErrFwdNoDays: "Office hours: choose at least one day.",
		},
		"fi": {
			KFwdHours:     "Työaika",
			KFwdHoursOn:   "Käytä työaikaa",
			KFwdHoursHint: "Työajan ulkopuolella yritysnumerooni tulevat puhelut menevät alla valittuun;\nmatkapuhelinnumeroni ja ryhmäpuhelut hälyttävät kuten ennenkin.",
			KFwdTime:      "Kellonaika",
			KFwdOutside:   "Työajan ulkopuolella",
			KFwdMon:       "ma",
			KFwdTue:       "ti",
			KFwdWed:       "ke",
			KFwdThu:       "to",
			KFwdFri:       "pe",
			KFwdSat:       "la",
			KFwdSun:       "su",
			KErrFwdNoDays: "Työaika: valitse vähintään yksi päivä.",
		},
		"sv": {
			KFwdHours:     "Arbetstid",
			KFwdHoursOn:   "Använd arbetstid",
			KFwdHoursHint: "Utanför arbetstid går samtal till mitt företagsnummer dit jag valt nedan;\nmitt mobilnummer och gruppsamtal ringer som vanligt.",
			KFwdTime:      "Tid",
			KFwdOutside:   "Utanför arbetstid",
			KFwdMon:       "mån",
			KFwdTue:       "tis",
			KFwdWed:       "ons",
			KFwdThu:       "tor",
			KFwdFri:       "fre",
			KFwdSat:       "lör",
			KFwdSun:       "sön",
			KErrFwdNoDays: "Arbetstid: välj minst en dag.",
		},
	} {
		dst := map[string]map[Key]string{"en": english, "fi": finnish, "sv": swedish}[lang]
		for k, v := range texts {
			dst[k] = v
		}
	}
}
