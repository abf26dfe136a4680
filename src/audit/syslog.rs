//! Forwarding log lines to syslog over its local datagram socket (`/dev/log`), which
//! rsyslog, syslog-ng and journald all read, so a fleet ships the audit trail with
//! what it already runs.

use std::os::unix::net::UnixDatagram;
use std::path::Path;

use super::chain::Record;

/// `auth` facility: these are security decisions.
const FACILITY_AUTH: u8 = 4;
const SEVERITY_NOTICE: u8 = 5;
const SEVERITY_INFO: u8 = 6;
const TAG: &str = "interlock";

/// One RFC 3164 message: `<PRI>Mmm dd hh:mm:ss interlock[pid]: JSON`.
pub fn message(record: &Record) -> String {
    let severity = if record.decision == "allow" {
        SEVERITY_INFO
    } else {
        SEVERITY_NOTICE
    };
    let pri = FACILITY_AUTH * 8 + severity;
    let stamp = jiff::Zoned::now().strftime("%b %e %H:%M:%S").to_string();
    format!(
        "<{pri}>{stamp} {TAG}[{}]: {}",
        std::process::id(),
        record.to_line()
    )
}

pub fn send(socket: &Path, record: &Record) -> std::io::Result<()> {
    let s = UnixDatagram::unbound()?;
    s.send_to(message(record).as_bytes(), socket)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reaches_a_datagram_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        let record = Record {
            seq: 7,
            decision: "block".into(),
            rule: Some("terraform-destroy".into()),
            ..Default::default()
        };
        send(&path, &record).unwrap();
        let mut buf = vec![0u8; 8192];
        let n = server.recv(&mut buf).unwrap();
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(got.starts_with("<37>"), "{got}");
        assert!(got.contains("interlock["), "{got}");
        let json = got.split_once("]: ").unwrap().1;
        let back: Record = serde_json::from_str(json).unwrap();
        assert_eq!(back, record);
    }
}
