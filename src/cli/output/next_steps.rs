//! What to do once the certificate is written, shown after a session with prompts: which
//! portal form to use, and the one-line command for scripts (never with the UDS in it).

use crate::cli::input::args::FirmwareInput;
use crate::cli::output::destination::Destination;
use crate::cli::sys::command_form::CommandForm;
use dps_cert_gen::registration_id::RegistrationId;

/// Quotes `word` for a POSIX shell when it holds anything but plain path characters.
pub(crate) fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-:+=@%,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Quotes `word` for both `cmd` and PowerShell: double quotes, and only when it holds
/// anything but plain path characters (`.\.build\DevKitDPS.ino.elf` stays as it is).
pub(crate) fn windows_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./\\-:+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("\"{word}\"")
    }
}

/// The next steps: enrolling in the portal, and the `--bare-base64` command for scripts, in
/// this system's form.
pub(crate) fn text(
    firmware: &FirmwareInput,
    registration_id: &RegistrationId,
    destination: &Destination,
) -> String {
    text_in(
        &crate::cli::sys::command_form::current(),
        firmware,
        registration_id,
        destination,
    )
}

/// [`text`] with the command for scripts in `form`.
pub(crate) fn text_in(
    form: &CommandForm,
    firmware: &FirmwareInput,
    registration_id: &RegistrationId,
    destination: &Destination,
) -> String {
    let quote = |w: &str| match form {
        CommandForm::Posix => shell_word(w),
        CommandForm::Windows { .. } => windows_word(w),
    };
    let certificate = match destination {
        Destination::File(path) => path.display().to_string(),
        Destination::Stdout | Destination::BareBase64 => "the certificate".to_string(),
    };
    let path = |p: &std::path::Path| quote(&p.display().to_string());
    let origin = |o: &Option<u64>| {
        o.map(|o| format!(" --flash-origin 0x{o:08x}"))
            .unwrap_or_default()
    };
    let firmware_flags = match firmware {
        FirmwareInput::BinMap {
            bin,
            map,
            flash_origin,
        } => format!("-b {} -m {}{}", path(bin), path(map), origin(flash_origin)),
        FirmwareInput::Elf { elf } | FirmwareInput::ElfAndBinMap { elf, .. } => {
            format!("-e {}", path(elf))
        }
    };
    let command = match form {
        // Two lines, continued for the shell, so that each fits an 80-column terminal.
        CommandForm::Posix => format!(
            "dps-cert-gen {firmware_flags} \\\n    --uds-file uds.txt -i {} --bare-base64",
            shell_word(registration_id.as_str()),
        ),
        // One line: cmd has no continuation that PowerShell shares.
        CommandForm::Windows { program } => format!(
            "{} {firmware_flags} --uds-file uds.txt -i {} --bare-base64",
            windows_word(program),
            windows_word(registration_id.as_str()),
        ),
    };
    format!(
        "Next step: in the Azure portal, open your DPS instance, Manage enrollments,\n  \
         Add individual enrollment; mechanism X.509, primary certificate:\n  {certificate}\n\
         For scripts, the same certificate as one line of base64 (uds.txt: the UDS):\n  {command}\n"
    )
}

/// The next step after `board provision`: enrolling the certificate, in the portal or with
/// the Azure CLI (resource group and DPS name left for the user to fill in).
pub(crate) fn provision_text(
    registration_id: &RegistrationId,
    destination: &Destination,
) -> String {
    let (certificate, path) = match destination {
        Destination::File(path) => {
            let shown = path.display().to_string();
            (shown.clone(), shell_word(&shown))
        }
        Destination::Stdout | Destination::BareBase64 => {
            ("the certificate".to_string(), "CERT.pem".to_string())
        }
    };
    let id = shell_word(registration_id.as_str());
    format!(
        "Next step: enroll the certificate. In the Azure portal, open your DPS instance, Manage enrollments, \
         Add individual enrollment;\n  mechanism X.509, primary certificate: {certificate}\n\
         Or with the Azure CLI:\n  az iot dps enrollment create -g RESOURCE_GROUP --dps-name DPS_NAME \
         --enrollment-id {id} --attestation-type x509 --certificate-path {path}\n\
         Then press Reset on the board: it registers with this certificate.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn names_the_file_and_quotes_paths() {
        let fw = FirmwareInput::BinMap {
            bin: PathBuf::from("./.build/DevKitDPS.ino.bin"),
            map: PathBuf::from("my sketch/DevKitDPS.ino.map"),
            flash_origin: None,
        };
        let id = RegistrationId::new("az-c89346aabbccv1v6v2").unwrap();
        let pem = Destination::File(PathBuf::from("az-c89346aabbccv1v6v2.pem"));
        let t = text_in(&CommandForm::Posix, &fw, &id, &pem);
        assert_eq!(
            t,
            "Next step: in the Azure portal, open your DPS instance, Manage enrollments,\n  \
             Add individual enrollment; mechanism X.509, primary certificate:\n  \
             az-c89346aabbccv1v6v2.pem\n\
             For scripts, the same certificate as one line of base64 (uds.txt: the UDS):\n  \
             dps-cert-gen -b ./.build/DevKitDPS.ino.bin -m 'my sketch/DevKitDPS.ino.map' \\\n    \
             --uds-file uds.txt -i az-c89346aabbccv1v6v2 --bare-base64\n"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    /// On Windows: one line for both cmd and PowerShell, double quotes only where needed,
    /// the program as it was started.
    #[test]
    fn the_windows_form_is_one_line_for_cmd_and_powershell() {
        let id = RegistrationId::new("az-c89346aabbccv1v6v2").unwrap();
        let pem = Destination::File(PathBuf::from("az-c89346aabbccv1v6v2.pem"));
        let elf = FirmwareInput::Elf {
            elf: PathBuf::from(r".\.build\DevKitDPS.ino.elf"),
        };
        let started_here = CommandForm::Windows {
            program: r".\dps-cert-gen.exe".to_string(),
        };
        let t = text_in(&started_here, &elf, &id, &pem);
        assert!(
            t.ends_with(
                "For scripts, the same certificate as one line of base64 (uds.txt: the UDS):\n  \
                 .\\dps-cert-gen.exe -e .\\.build\\DevKitDPS.ino.elf --uds-file uds.txt -i az-c89346aabbccv1v6v2 --bare-base64\n"
            ),
            "{t}"
        );
        let fw = FirmwareInput::BinMap {
            bin: PathBuf::from(r"C:\My Sketch\DevKitDPS.ino.bin"),
            map: PathBuf::from(r"C:\My Sketch\DevKitDPS.ino.map"),
            flash_origin: Some(0x0800_0000),
        };
        let on_path = CommandForm::Windows {
            program: "dps-cert-gen".to_string(),
        };
        let t = text_in(&on_path, &fw, &id, &pem);
        assert!(
            t.ends_with(
                "\n  dps-cert-gen -b \"C:\\My Sketch\\DevKitDPS.ino.bin\" -m \"C:\\My Sketch\\DevKitDPS.ino.map\" --flash-origin 0x08000000 --uds-file uds.txt -i az-c89346aabbccv1v6v2 --bare-base64\n"
            ),
            "{t}"
        );
        assert!(!t.contains('\''));
        assert_eq!(windows_word("it's"), "\"it's\"");
    }

    #[test]
    fn provision_names_the_portal_form_and_the_az_line() {
        let id = RegistrationId::new("az-c89346aabbccv1v6v2").unwrap();
        let t = provision_text(&id, &Destination::File(PathBuf::from("my certs/board.pem")));
        assert_eq!(
            t,
            "Next step: enroll the certificate. In the Azure portal, open your DPS instance, Manage enrollments, Add individual enrollment;\n  \
             mechanism X.509, primary certificate: my certs/board.pem\n\
             Or with the Azure CLI:\n  \
             az iot dps enrollment create -g RESOURCE_GROUP --dps-name DPS_NAME --enrollment-id az-c89346aabbccv1v6v2 --attestation-type x509 --certificate-path 'my certs/board.pem'\n\
             Then press Reset on the board: it registers with this certificate.\n"
        );
    }
}
