//! Source tests: short reads, gzip by magic, parked errors.
use super::*;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

/// A reader that hands out one byte per call, like a slow pipe.
struct Trickle(Vec<u8>, usize);
impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.1 >= self.0.len() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[self.1];
        self.1 += 1;
        Ok(1)
    }
}

fn read_all(mut input: Input) -> Vec<u8> {
    let mut out = Vec::new();
    input.stream.read_to_end(&mut out).unwrap();
    out
}

#[test]
fn short_reads_are_filled() {
    let data: Vec<u8> = (0..=255).collect();
    let mut input = from_reader(Box::new(Trickle(data.clone(), 0)), None);
    let mut buf = [0u8; 100];
    assert_eq!(input.stream.read(&mut buf).unwrap(), 100);
    assert_eq!(&buf[..], &data[..100]);
}

#[test]
fn gzip_is_detected_by_magic() {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(b"hello capture").unwrap();
    let gz = enc.finish().unwrap();
    let input = from_reader(Box::new(Cursor::new(gz)), None);
    assert!(input.gzip);
    assert_eq!(read_all(input), b"hello capture");
}

#[test]
fn peek_puts_the_bytes_back() {
    let mut input = from_reader(Box::new(Trickle(b"0123456789".to_vec(), 0)), None);
    assert_eq!(input.stream.peek(4), b"0123");
    let mut buf = [0u8; 10];
    assert_eq!(
        input.stream.read(&mut buf).unwrap(),
        10,
        "one read spans the peeked bytes"
    );
    assert_eq!(&buf, b"0123456789");
}

#[test]
fn plain_data_passes_through() {
    let input = from_reader(Box::new(Cursor::new(b"x".to_vec())), None);
    assert!(!input.gzip);
    assert_eq!(read_all(input), b"x");
}

#[test]
fn errors_are_parked_not_returned() {
    struct Fails(Cursor<&'static [u8]>);
    impl Read for Fails {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("disk on fire")),
                n => Ok(n),
            }
        }
    }
    let input = from_reader(Box::new(Fails(Cursor::new(b"abcd"))), None);
    let status = input.status.clone();
    assert_eq!(read_all(input), b"abcd");
    assert_eq!(status.take_error().unwrap().to_string(), "disk on fire");
}
