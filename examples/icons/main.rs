//! Renders every PNG icon of Livret from its one source, `icons/livret.svg`:
//!
//! ```sh
//! cargo run --example icons
//! ```
//!
//! writes `icons/icon-192.png`, `icon-512.png`, `icon-maskable-512.png`,
//! `apple-touch-icon.png` and `favicon.ico` (see `render::ICONS`). Run it after changing
//! the SVG and commit the results: `cargo test` fails while they differ from a fresh
//! rendering (`tests/app/install.rs`).

mod render;

use std::path::Path;

fn main() -> Result<(), String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("icons");
    let source = dir.join("livret.svg");
    let svg = std::fs::read_to_string(&source).map_err(|e| format!("{}: {e}", source.display()))?;
    for icon in &render::ICONS {
        let pixmap = render::render(&svg, icon)?;
        let bytes = render::encode(icon, &pixmap)?;
        let path = dir.join(icon.file);
        std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "{} ({} × {} px, {} bytes)",
            path.display(),
            icon.size,
            icon.size,
            bytes.len()
        );
    }
    Ok(())
}
