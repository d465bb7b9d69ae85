//! Does a value read like English words rather than random characters? `ASIA` +
//! `PACIFICSALESTEAM` is a region constant, not a key ID; `ThisIsNotARealSecretJustAPlace`...
//! is a placeholder, not a secret. Real credentials are uniformly random.
//!
//! The test is a letter-bigram log-likelihood ratio, English against uniform random letters.
//! The table holds, for each letter pair `ab`, `log2 P(b | a) + log2 26` in eighths of a bit,
//! counted over the prose of the Linux kernel's `Documentation/*.rst` (2.9 million words,
//! add-one smoothing). A value scores the sum over its adjacent letter pairs.
//!
//! - An all-letter 16-character key-ID body reads like words at 0 bits or more: 0.19 % of
//!   random letter bodies do, 97 % of bodies glued from English words. Only 3.6 % of real
//!   key IDs have no digit at all, so this costs 7 in 100,000 real key IDs.
//! - A long value with digits or symbols (a 40-character secret, at least 30 letter pairs)
//!   reads like words at +10 bits or more: random base64 does 3 times in a million,
//!   camel-case placeholders (`YourSecretAccessKeyGoesHereReplaceMeNow1`) score 20 to 40.
//!   Shorter mixed values (key-ID bodies with a digit) are never taken for words.

/// `log2 P(column | row) + log2 26`, in eighths of a bit.
const BIGRAM_GAIN: [[i8; 26]; 26] = [
    [-41, 0, 7, 3, -40, -20, -2, -47, -4, -50, -17, 12, 2, 16, -57, -1, -56, 12, 7, 17, -9, -8, -31, -20, -8, -37], // A
    [
        8, -21, -20, -18, 22, -29, -29, -38, 10, -12, -51, 17, -20, -39, 7, -21, -72, -6, -6, -17, 14, -36, -47, -45,
        10, -53,
    ], // B
    [15, -33, -7, -28, 16, -34, -28, 13, 1, -81, 5, -2, -16, -30, 18, -4, -46, 0, -13, 13, -1, -39, -48, -40, -18, -62], // C
    [7, -21, -23, 0, 26, -27, -20, -42, 16, -37, -55, -6, -10, -34, 8, -18, -47, 9, 1, -14, 0, -18, -12, -19, -19, -69], // D
    [1, -22, 4, 11, -5, -6, -10, -36, -17, -60, -47, 4, 0, 12, -21, -10, -14, 19, 14, 6, -27, 1, -21, -4, -21, -48], // E
    [8, -23, -21, -13, 9, 10, -37, -45, 20, -84, -55, 1, -15, -31, 20, -22, -43, 8, 2, -4, 4, -67, -36, -42, -16, -73], // F
    [2, -20, -21, -24, 24, -15, -3, 7, 13, -70, -59, -4, -15, 4, -3, 0, -67, 9, 3, -14, 8, -39, -55, -44, -20, -34], // G
    [
        16, -50, -37, -23, 31, -50, -53, -64, 14, -77, -56, -44, -28, -35, 6, -29, -84, -9, -28, -5, -16, -42, -24,
        -54, -15, -31,
    ], // H
    [-8, -12, 8, 2, -4, -1, -3, -71, -40, -72, -28, 4, -2, 21, 11, -9, -48, -4, 13, 12, -42, -1, -64, -22, -60, -14], // I
    [
        8, -14, -28, -20, 26, -18, -38, -49, 0, -46, -29, -34, -23, -29, 17, -3, -40, -45, -8, -16, 21, -40, -26, -45,
        -49, -16,
    ], // J
    [
        -4, -6, -14, -15, 30, -21, -21, -25, 9, -68, -43, -8, -11, -2, -12, -11, -37, -20, 13, -16, -5, 1, -23, -48,
        -29, -44,
    ], // K
    [
        11, -20, -26, 0, 21, -24, -35, -54, 15, -82, -27, 15, -29, -39, 13, -21, -75, -28, -1, 0, 2, -29, -28, -44, 6,
        -71,
    ], // L
    [
        20, -1, -19, -16, 22, -35, -44, -35, 9, -64, -37, -18, 1, -24, 14, 12, -53, -43, -3, -15, 2, -36, -22, -34,
        -27, -75,
    ], // M
    [3, -39, 5, 15, 14, -5, 14, -44, -1, -40, -16, -10, -31, -10, 8, -20, -49, -31, 8, 18, -2, -18, -53, -41, -15, -37], // N
    [-17, -14, 5, 2, -22, 6, -14, -46, -13, -46, -23, 2, 5, 20, -7, -2, -82, 18, -4, 4, 8, -7, 0, -41, -41, -57], // O
    [14, -35, -6, -11, 16, -24, -26, -10, 6, -71, -44, 10, -15, -35, 13, 6, -54, 13, -3, 6, 6, -29, -29, -39, -23, -56], // P
    [
        -21, -10, -8, -23, -14, -28, -79, -50, -24, -66, -79, -20, -24, -25, -16, -16, -55, -24, -5, -37, 36, -44, -50,
        -51, -71, -60,
    ], // Q
    [10, -27, -6, -5, 24, -12, -11, -47, 12, -68, -15, -19, -2, 1, 12, -22, -22, -3, 4, 4, -1, -16, -27, -33, -3, -66], // R
    [0, -19, 0, -27, 19, -19, -27, -2, 11, -62, -12, -15, -14, -20, 5, 4, -56, -24, 7, 20, 7, -31, -18, -52, 0, -55], // S
    [
        8, -41, -11, -33, 17, -28, -50, 23, 14, -76, -52, -13, -27, -42, 12, -16, -71, 6, 0, -7, -3, -31, -18, -33, -8,
        -64,
    ], // T
    [-6, -2, 4, -8, 7, -7, -5, -45, -4, -60, -54, 9, 5, 13, -29, 7, -90, 12, 16, 11, -45, -35, -56, -8, -48, -44], // U
    [
        15, -15, -15, -26, 28, -15, -23, -47, 22, -94, -55, -17, 0, -37, 2, -25, -58, -20, -26, -28, -32, -41, -74,
        -44, -38, -68,
    ], // V
    [
        16, -37, -24, -29, 13, -45, -46, 18, 23, -79, -51, -25, -14, -1, 9, -30, -42, 4, -3, -32, -44, -60, -7, -40,
        -50, -81,
    ], // W
    [
        16, -20, 6, -8, 13, -1, -35, -29, 14, -38, -45, -16, -21, -36, -21, 15, -37, -15, -16, 20, -21, -34, -50, 4,
        -15, -43,
    ], // X
    [
        -16, -11, -8, -29, 3, -41, -44, -57, -5, -73, -59, -10, -4, 6, 18, 17, -65, -19, 24, 7, -18, -27, -23, -45,
        -34, -26,
    ], // Y
    [
        14, -19, -24, -37, 30, -26, -65, -6, 16, -69, -59, -20, -41, -42, 7, -32, -65, -15, -16, -33, -31, -41, -57,
        -40, -12, 0,
    ], // Z
];

/// Whether `value` reads more like English words than like random characters.
pub fn reads_like_words(value: &[u8]) -> bool {
    let mut score = 0i32;
    let mut pairs = 0;
    for pair in value.windows(2) {
        if pair[0].is_ascii_alphabetic() && pair[1].is_ascii_alphabetic() {
            let (a, b) = (pair[0].to_ascii_uppercase() - b'A', pair[1].to_ascii_uppercase() - b'A');
            score += i32::from(BIGRAM_GAIN[a as usize][b as usize]);
            pairs += 1;
        }
    }
    // Thresholds in eighths of a bit; see the module documentation.
    if value.iter().all(u8::is_ascii_alphabetic) { pairs >= 12 && score >= 0 } else { pairs >= 30 && score >= 80 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_like_words() {
        for word in [
            "PACIFICSALESTEAM",
            "MARKETSLOGISTICS",
            "PARTNERSSTRATEGY",
            "WESTCLOUDMEMBERS",
            "NORTHBONDMARKETS",
            "YourSecretAccessKeyGoesHereReplaceMeNow1",
            "awsSecretAccessKeyFromEnvironmentVariabl",
        ] {
            assert!(reads_like_words(word.as_bytes()), "{word}");
        }
    }

    #[test]
    fn random_letters_and_digits_do_not() {
        for body in ["OZWGVBVAZFJHJLQA", "Q3EGTKXWZ7BNMLPR", "LALEMEL33243OLIB", "XKQZJVWPBHFMCYTD"] {
            assert!(!reads_like_words(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn few_random_values_read_like_words() {
        let mut fake = crate::fake::Fake::new(11);
        let n = 20_000;
        let letters = (0..n).filter(|_| reads_like_words(fake.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 16).as_bytes()));
        let letters = letters.count();
        assert!(letters * 100 < n, "{letters} of {n} random letter bodies read as words");
        let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let secrets = (0..n).filter(|_| reads_like_words(fake.chars(b64, 40).as_bytes())).count();
        assert!(secrets * 2000 < n, "{secrets} of {n} random secrets read as words");
    }
}
