//! How every PNG icon of Livret is made from the one source, `icons/livret.svg`: shared
//! by `cargo run --example icons` (which writes them) and by the integration test
//! `tests/app/install.rs` (which renders them again and compares them with the committed
//! files, so the source and the PNGs never drift apart).

// Each of the two targets uses only part of this file.
#![allow(dead_code)]

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg;

/// The icons' background, the app's blue (`theme_color` of the manifest), as RGB.
pub const BACKGROUND: [u8; 3] = [0x1d, 0x4e, 0x89];

/// How the source is laid out in one icon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The source as drawn: the mark on a rounded blue square, transparent corners
    /// (`purpose: "any"` icons, favicon).
    Rounded,
    /// The mark on a blue square that fills the whole image, no transparency: for the
    /// maskable icon (the launcher cuts its own shape; the mark already sits inside the
    /// central circle of 40 % of the width, the maskable safe zone) and for the
    /// apple-touch icon (iOS rounds the corners itself and shows transparency as black).
    FullBleed,
}

/// One generated file.
#[derive(Clone, Copy, Debug)]
pub struct Icon {
    /// File name under `icons/`.
    pub file: &'static str,
    /// Width and height, in pixels.
    pub size: u32,
    /// Layout of the source in it.
    pub shape: Shape,
}

/// Every file made from the source: the manifest's 192, 512 and maskable 512 icons,
/// the 180 px apple-touch icon (Apple's size for current iPhones) and a 32 px favicon
/// (an ICO file holding one PNG, which every browser reads).
pub const ICONS: [Icon; 5] = [
    Icon {
        file: "icon-192.png",
        size: 192,
        shape: Shape::Rounded,
    },
    Icon {
        file: "icon-512.png",
        size: 512,
        shape: Shape::Rounded,
    },
    Icon {
        file: "icon-maskable-512.png",
        size: 512,
        shape: Shape::FullBleed,
    },
    Icon {
        file: "apple-touch-icon.png",
        size: 180,
        shape: Shape::FullBleed,
    },
    Icon {
        file: "favicon.ico",
        size: 32,
        shape: Shape::Rounded,
    },
];

/// The full-bleed variant of `svg`: its content drawn over a square of [`BACKGROUND`]
/// covering the whole 512 × 512 view box.
///
/// # Errors
/// A message when `svg` has no `<svg …>` … `</svg>` element.
pub fn full_bleed(svg: &str) -> Result<String, String> {
    let open = svg.find("<svg").ok_or("no <svg> element in the source")?;
    let content_start = open + svg[open..].find('>').ok_or("unterminated <svg> tag")? + 1;
    let content_end = svg.rfind("</svg>").ok_or("no </svg> in the source")?;
    let [r, g, b] = BACKGROUND;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 512 512\">\
         <rect width=\"512\" height=\"512\" fill=\"#{r:02x}{g:02x}{b:02x}\"/>{}</svg>",
        &svg[content_start..content_end]
    ))
}

/// Renders `icon` from the source `svg` (the text of `icons/livret.svg`).
///
/// # Errors
/// A message when the SVG does not parse or the size is zero.
pub fn render(svg: &str, icon: &Icon) -> Result<Pixmap, String> {
    let text = match icon.shape {
        Shape::Rounded => svg.to_string(),
        Shape::FullBleed => full_bleed(svg)?,
    };
    let tree = usvg::Tree::from_str(&text, &usvg::Options::default())
        .map_err(|e| format!("{}: the SVG does not parse: {e}", icon.file))?;
    let mut pixmap =
        Pixmap::new(icon.size, icon.size).ok_or_else(|| format!("{}: empty size", icon.file))?;
    let scale = icon.size as f32 / tree.size().width().max(tree.size().height());
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}

/// The bytes of the file for `icon`: a PNG, or for `.ico` an ICO file holding that PNG.
///
/// # Errors
/// A message when PNG encoding fails.
pub fn encode(icon: &Icon, pixmap: &Pixmap) -> Result<Vec<u8>, String> {
    let png = pixmap
        .encode_png()
        .map_err(|e| format!("{}: PNG encoding failed: {e}", icon.file))?;
    if !icon.file.ends_with(".ico") {
        return Ok(png);
    }
    // ICONDIR (reserved 0, type 1 = icon, 1 image) then one ICONDIRENTRY pointing at the
    // PNG right after the 22 header bytes; sizes of 256 and more are written as 0.
    let side = u8::try_from(icon.size).unwrap_or(0);
    let len = u32::try_from(png.len()).map_err(|_| format!("{}: too large", icon.file))?;
    let mut ico = Vec::with_capacity(22 + png.len());
    ico.extend_from_slice(&[0, 0, 1, 0, 1, 0]);
    ico.extend_from_slice(&[side, side, 0, 0]);
    ico.extend_from_slice(&1u16.to_le_bytes()); // colour planes
    ico.extend_from_slice(&32u16.to_le_bytes()); // bits per pixel
    ico.extend_from_slice(&len.to_le_bytes());
    ico.extend_from_slice(&22u32.to_le_bytes());
    ico.extend_from_slice(&png);
    Ok(ico)
}

/// Reads back a file written by [`encode`].
///
/// # Errors
/// A message when the bytes are not such a file.
pub fn decode(icon: &Icon, bytes: &[u8]) -> Result<Pixmap, String> {
    let png = if icon.file.ends_with(".ico") {
        bytes
            .get(22..)
            .ok_or_else(|| format!("{}: truncated ICO file", icon.file))?
    } else {
        bytes
    };
    Pixmap::decode_png(png).map_err(|e| format!("{}: not a readable PNG: {e}", icon.file))
}
