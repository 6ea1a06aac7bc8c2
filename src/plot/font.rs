//! The font plot text is drawn with, found at run time: plotters' `ab_glyph` backend needs a
//! TrueType file, so the build needs no system font library.

use std::path::PathBuf;
use std::sync::OnceLock;

use plotters::style::FontStyle;

/// Fonts tried, in order, when `FRAUDNET_FONT` is not set: DejaVu Sans and Liberation Sans where
/// Linux distributions install them, then Arial on macOS and Windows.
pub const FONT_CANDIDATES: [&str; 9] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// The font family name plots use.
pub(super) const FAMILY: &str = "sans-serif";

/// Finds a font, registers it with plotters once, and returns its path.
///
/// # Errors
///
/// A message naming what was searched and how to provide a font.
pub fn ensure_font() -> std::result::Result<PathBuf, String> {
    static FONT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let from_env = std::env::var_os("FRAUDNET_FONT").map(PathBuf::from);
        let candidates: Vec<PathBuf> = match &from_env {
            Some(path) => vec![path.clone()],
            None => FONT_CANDIDATES.iter().map(PathBuf::from).collect(),
        };
        for path in &candidates {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            // plotters keeps fonts for the life of the process; the bytes are leaked once.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font(FAMILY, FontStyle::Normal, bytes).is_ok() {
                return Ok(path.clone());
            }
            if from_env.is_some() {
                return Err(format!(
                    "FRAUDNET_FONT={} is not a TrueType or OpenType font",
                    path.display()
                ));
            }
        }
        Err(match from_env {
            Some(path) => format!("FRAUDNET_FONT={} cannot be read", path.display()),
            None => format!(
                "no font found for the plot text (looked for {}); install one \
                 (Debian: apt-get install fonts-dejavu-core) or set FRAUDNET_FONT to a .ttf file",
                FONT_CANDIDATES.join(", ")
            ),
        })
    })
    .clone()
}
