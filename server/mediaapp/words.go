package mediaapp

// wordTable holds the words behind the prompt keys of one language.
type wordTable struct {
	ones     [20]string // 0–19
	tens     [10]string // index 2–9: 20, 30, …
	join     string     // between tens and ones: "-" (en), "" (fi, sv)
	hundred  func(h int) string
	thousand func(t int) string
	ordinals [31]string
	weekdays [7]string // indexed by time.Weekday: Sunday first
	months   [12]string
	other    map[string]string
}

// number spells one atom of SayNumber: 0–99, a whole hundred or a whole thousand.
func (w *wordTable) number(n int) string {
	switch {
	case n >= 1000:
		return w.thousand(n / 1000)
	case n >= 100:
		return w.hundred(n / 100)
	case n < 20:
		return w.ones[n]
	case n%10 == 0:
		return w.tens[n/10]
	default:
		return w.tens[n/10] + w.join + w.ones[n%10]
	}
}

var words = map[Lang]*wordTable{
	English: {
		ones: [20]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
			"nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
			"seventeen", "eighteen", "nineteen"},
		tens: [10]string{2: "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"},
		join: "-",
		ordinals: [31]string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh",
			"eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
			"fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth",
			"twenty-first", "twenty-second", "twenty-third", "twenty-fourth", "twenty-fifth",
			"twenty-sixth", "twenty-seventh", "twenty-eighth", "twenty-ninth", "thirtieth",
			"thirty-first"},
		weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		months: [12]string{"January", "February", "March", "April", "May", "June", "July",
			"August", "September", "October", "November", "December"},
		other: map[string]string{"time/at": "at", "time/oh": "oh", "time/am": "a m", "time/pm": "p m"},
	},
	Finnish: {
		ones: [20]string{"nolla", "yksi", "kaksi", "kolme", "neljä", "viisi", "kuusi", "seitsemän",
			"kahdeksan", "yhdeksän", "kymmenen", "yksitoista", "kaksitoista", "kolmetoista",
			"neljätoista", "viisitoista", "kuusitoista", "seitsemäntoista", "kahdeksantoista",
			"yhdeksäntoista"},
		tens: [10]string{2: "kaksikymmentä", "kolmekymmentä", "neljäkymmentä", "viisikymmentä",
			"kuusikymmentä", "seitsemänkymmentä", "kahdeksankymmentä", "yhdeksänkymmentä"},
		ordinals: [31]string{"ensimmäinen", "toinen", "kolmas", "neljäs", "viides", "kuudes",
			"seitsemäs", "kahdeksas", "yhdeksäs", "kymmenes", "yhdestoista", "kahdestoista",
			"kolmastoista", "neljästoista", "viidestoista", "kuudestoista", "seitsemästoista",
			"kahdeksastoista", "yhdeksästoista", "kahdeskymmenes", "kahdeskymmenesensimmäinen",
			"kahdeskymmenestoinen", "kahdeskymmeneskolmas", "kahdeskymmenesneljäs",
			"kahdeskymmenesviides", "kahdeskymmeneskuudes", "kahdeskymmenesseitsemäs",
			"kahdeskymmeneskahdeksas", "kahdeskymmenesyhdeksäs", "kolmaskymmenes",
			"kolmaskymmenesensimmäinen"},
		weekdays: [7]string{"sunnuntai", "maanantai", "tiistai", "keskiviikko", "torstai",
			"perjantai", "lauantai"},
		months: [12]string{"tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta",
			"kesäkuuta", "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta",
			"joulukuuta"},
		other: map[string]string{"time/at": "kello"},
	},
	Swedish: {
		ones: [20]string{"noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio",
			"tio", "elva", "tolv", "tretton", "fjorton", "femton", "sexton", "sjutton", "arton",
			"nitton"},
		tens: [10]string{2: "tjugo", "trettio", "fyrtio", "femtio", "sextio", "sjuttio", "åttio", "nittio"},
		ordinals: [31]string{"första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde",
			"åttonde", "nionde", "tionde", "elfte", "tolfte", "trettonde", "fjortonde", "femtonde",
			"sextonde", "sjuttonde", "artonde", "nittonde", "tjugonde", "tjugoförsta", "tjugoandra",
			"tjugotredje", "tjugofjärde", "tjugofemte", "tjugosjätte", "tjugosjunde", "tjugoåttonde",
			"tjugonionde", "trettionde", "trettioförsta"},
		weekdays: [7]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"},
		months: [12]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
			"september", "oktober", "november", "december"},
		other: map[string]string{"time/at": "klockan", "date/the": "den"},
	},
}

func init() {
	words[English].hundred = func(h int) string { return words[English].ones[h] + " hundred" }
	words[English].thousand = func(t int) string { return words[English].ones[t] + " thousand" }
	words[Finnish].hundred = func(h int) string {
		if h == 1 {
			return "sata"
		}
		return words[Finnish].ones[h] + "sataa"
	}
	words[Finnish].thousand = func(t int) string {
		if t == 1 {
			return "tuhat"
		}
		return words[Finnish].ones[t] + "tuhatta"
	}
	words[Swedish].hundred = func(h int) string { return words[Swedish].ones[h] + "hundra" }
	words[Swedish].thousand = func(t int) string {
		if t == 1 {
			return "ettusen"
		}
		return words[Swedish].ones[t] + "tusen"
	}
}
