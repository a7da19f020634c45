//! The map reader on arbitrary bytes: never panics, and whatever layout it returns is
//! measured against an image without panicking either.
#![no_main]

use dps_cert_gen::firmware::files::layout_from_map;
use dps_cert_gen::firmware::map_file::MapFile;
use dps_cert_gen::firmware::regions::MeasuredRegions;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = MapFile::parse(data) {
        if let Ok(layout) = layout_from_map(&map, Path::new("fuzz.map")) {
            let image = [0u8; 4096];
            let _ = MeasuredRegions::from_image(&layout, &image);
        }
    }
});
