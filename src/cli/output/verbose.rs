//! What `-v/--verbose` prints about a firmware measurement: the files read, the flash
//! origin, the regions and their digests (never a secret).

use dps_cert_gen::RegistrationId;
use dps_cert_gen::derivation::FirmwareMeasurements;
use dps_cert_gen::firmware::measurement::{Measurement, OriginSource};

/// The lines `-v/--verbose` prints: files, flash origin, regions, digests.
pub(crate) fn lines(measured: &Measurement) -> Vec<String> {
    let mut lines: Vec<String> = measured
        .files
        .iter()
        .map(|(p, len)| format!("read {} ({len} bytes)", p.display()))
        .collect();
    let origin = measured.layout.flash_origin;
    lines.push(match &measured.origin_source {
        OriginSource::MapFlashRegion { map, line } => format!(
            "flash origin: 0x{origin:08x} (FLASH region, {} line {line})",
            map.display()
        ),
        OriginSource::Override => format!("flash origin: 0x{origin:08x} (--flash-origin)"),
        OriginSource::ElfSegments => {
            format!("flash origin: 0x{origin:08x} (lowest load address of the ELF's segments)")
        }
    });
    if let Some(extent) = &measured.map_extent {
        lines.push(format!(
            "image per the map: {} bytes (sections end at 0x{:08x}, {} on line {})",
            extent.image_len, extent.end, extent.section, extent.line
        ));
    }
    for (index, (name, region)) in measured.layout.regions().into_iter().enumerate() {
        let holder = measured
            .elf_holders
            .as_ref()
            .and_then(|h| h.get(index))
            .map(|h| format!(", in {h}"))
            .unwrap_or_default();
        lines.push(format!(
            "{name}: [0x{:08x}, 0x{:08x}), {} bytes{holder}",
            region.start,
            region.stop,
            region.len().unwrap_or_default()
        ));
    }
    if measured.cross_checked {
        lines.push("the ELF and the .bin + .map hold the same regions".to_string());
    }
    let digests = FirmwareMeasurements::of(&measured.regions);
    lines.push(format!(
        "riot_core DiceHash: {}",
        hex::encode(digests.riot_core_measure.as_bytes())
    ));
    lines.push(format!("FWID: {}", hex::encode(digests.fwid.as_bytes())));
    lines
}

/// [`lines`] followed by the registration ID.
pub(crate) fn lines_with_id(measured: &Measurement, id: &RegistrationId) -> Vec<String> {
    let mut lines = lines(measured);
    lines.push(format!("registration ID: {}", id.as_str()));
    lines
}
