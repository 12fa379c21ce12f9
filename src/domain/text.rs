//! Rules for free text typed by people: trimming, line endings, length limits.

use super::FieldErrors;

/// Cleans a text typed in a form: CRLF and CR become LF, control characters other
/// than LF and TAB are dropped, and surrounding whitespace is trimmed.
pub fn clean(input: &str) -> String {
    let unified = input.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String = unified
        .chars()
        .filter(|c| (!c.is_control() || *c == '\n' || *c == '\t') && !is_bidi_control(*c))
        .collect();
    if kept.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        String::new()
    } else {
        kept.trim().to_string()
    }
}

/// [`clean`], on one line (line breaks become spaces): names, titles, cities.
pub fn one_line(input: &str) -> String {
    clean(input).replace('\n', " ")
}

/// Checks an optional e-mail address typed in `field`: empty gives `None`, anything
/// else must be plausible (see `class_list::is_plausible_email`).
pub fn optional_email(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
) -> Option<String> {
    let email = input.trim();
    if email.is_empty() {
        return None;
    }
    if !super::class_list::is_plausible_email(email) {
        errors.add(
            field,
            "Adresse e-mail invalide : écrivez-la comme prenom.nom@exemple.fr.",
        );
    }
    Some(email.to_string())
}

/// Checks a person's first name and surname typed in the fields `first_name` and
/// `last_name` (required, one line, at most 100 characters each).
pub fn person_name(errors: &mut FieldErrors, first: &str, last: &str) -> super::PersonName {
    let (first, last) = (one_line(first), one_line(last));
    check(errors, "first_name", &first, true, 100);
    check(errors, "last_name", &last, true, 100);
    super::PersonName::new(&first, &last)
}

/// Bidirectional embedding, override and isolate controls (U+202A–U+202E,
/// U+2066–U+2069): they can make displayed text read differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that print nothing: zero-width spaces and joiners, word joiner, BOM.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Checks a cleaned text against a length limit counted in characters (not bytes, so
/// "é" counts once), and, when `required`, that it is not empty. Messages are French.
pub fn check(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    required: bool,
    max_chars: usize,
) {
    let count = value.chars().count();
    if required && count == 0 {
        errors.add(field, "Ce champ est obligatoire.");
    } else if count > max_chars {
        errors.add(
            field,
            format!("Ce texte est trop long : {count} caractères pour {max_chars} au plus."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_unifies_line_endings_and_drops_controls() {
        assert_eq!(clean("  a\r\nb\rc\u{0}d\t \n"), "a\nb\ncd");
        assert_eq!(clean("\u{200B}\u{200B} \u{FEFF}"), "");
        assert_eq!(clean("ab\u{202E}cd"), "abcd");
        assert_eq!(clean("caf\u{e9} \u{1F527}"), "café 🔧");
    }

    #[test]
    fn de_elides_before_vowels() {
        assert_eq!(de("Éloïse N'Diaye"), "d'Éloïse N'Diaye");
        assert_eq!(de("Anaïs"), "d'Anaïs");
        assert_eq!(de("Maël"), "de Maël");
        assert_eq!(de("Hélène"), "de Hélène");
        assert_eq!(de("Yanis Girard"), "de Yanis Girard");
        assert_eq!(de("Yves"), "d'Yves");
    }

    #[test]
    fn que_elides_like_de() {
        assert_eq!(que("Éloïse"), "qu'Éloïse");
        assert_eq!(que("Anaïs"), "qu'Anaïs");
        assert_eq!(que("Maël"), "que Maël");
        assert_eq!(que("Yanis"), "que Yanis");
        assert_eq!(que("Yves"), "qu'Yves");
        assert_eq!(que(""), "que ");
    }

    #[test]
    fn check_counts_characters_not_bytes() {
        let mut e = FieldErrors::default();
        check(&mut e, "t", "ééé", true, 3);
        assert!(e.is_empty());
        check(&mut e, "t", "éééé", true, 3);
        assert!(e.get("t").unwrap().contains("4 caractères"));
        let mut e = FieldErrors::default();
        check(&mut e, "t", "", true, 3);
        assert_eq!(e.get("t"), Some("Ce champ est obligatoire."));
    }
}

/// The French preposition "de" before a name, elided before a vowel sound written
/// with a vowel: "de Maël", "d'Éloïse", "d'Yves"; a "y" before a vowel is a consonant
/// sound: "de Yanis". (Names starting with "h" keep "de": whether the "h" is mute
/// cannot be told from spelling.)
pub fn de(name: &str) -> String {
    if elides(name) {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

/// The French conjunction "que" before a name, elided by the rule of [`de`]: "que
/// Maël", "qu'Éloïse", "qu'Yves", "que Yanis".
pub fn que(name: &str) -> String {
    if elides(name) {
        format!("qu'{name}")
    } else {
        format!("que {name}")
    }
}

/// True when "de", "que"… elide before `name` (see [`de`]).
fn elides(name: &str) -> bool {
    let mut letters = name.chars().flat_map(char::to_lowercase);
    let first = letters.next();
    let second = letters.next();
    let vowel = |c: char| "aeiouyàâäéèêëîïôöùûüÿæœ".contains(c);
    match first {
        Some('y' | 'ÿ') => !second.is_some_and(vowel),
        Some(c) => vowel(c),
        None => false,
    }
}

/// A date as French forms write it: `29/11/2026`.
pub fn date_short(d: jiff::civil::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// A time of day as French prose writes it: `10 h 30` (no-break spaces).
pub fn time(t: jiff::civil::Time) -> String {
    format!("{:02}\u{a0}h\u{a0}{:02}", t.hour(), t.minute())
}

/// A moment in French words: `mercredi 11 mars 2026 à 10 h 30`.
pub fn date_time_long(at: jiff::civil::DateTime) -> String {
    format!("{} à {}", date_long(at.date()), time(at.time()))
}

/// A moment as lists write it: `11/03/2026 à 10:30`.
pub fn date_time_short(at: jiff::civil::DateTime) -> String {
    format!(
        "{} à {:02}:{:02}",
        date_short(at.date()),
        at.hour(),
        at.minute()
    )
}

/// A date in French words: `dimanche 29 novembre 2026`.
pub fn date_long(d: jiff::civil::Date) -> String {
    const DAYS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let day = DAYS[usize::from(d.weekday().to_monday_zero_offset() as u8)];
    let month = MONTHS[(d.month() as usize).saturating_sub(1).min(11)];
    let num = if d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    };
    format!("{day} {num} {month} {}", d.year())
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn french_dates() {
        let d = jiff::civil::Date::new(2026, 11, 29).unwrap();
        assert_eq!(date_short(d), "29/11/2026");
        assert_eq!(date_long(d), "dimanche 29 novembre 2026");
        let at = d.at(9, 5, 0, 0);
        assert_eq!(
            date_time_long(at),
            "dimanche 29 novembre 2026 à 09\u{a0}h\u{a0}05"
        );
        assert_eq!(date_time_short(at), "29/11/2026 à 09:05");
        let d = jiff::civil::Date::new(2026, 12, 1).unwrap();
        assert_eq!(date_long(d), "mardi 1er décembre 2026");
    }
}
