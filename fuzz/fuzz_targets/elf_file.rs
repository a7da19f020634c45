//! The ELF reader on arbitrary bytes: never panics, and what it measures is consistent
//! (each region's bytes as long as its addresses say, riot_core at least 8 bytes).
#![no_main]

use dps_cert_gen::firmware::elf_file::measure_elf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = measure_elf(data) {
        let core = m.layout.riot_core;
        let fw = m.layout.riot_fw;
        assert_eq!(Some(m.regions.riot_core().len() as u64), core.len());
        assert_eq!(Some(m.regions.riot_fw().len() as u64), fw.len());
        assert!(m.regions.riot_core().len() >= 8);
        assert!(m.regions.riot_core().len() <= data.len());
        assert!(m.regions.riot_fw().len() <= data.len());
    }
});
