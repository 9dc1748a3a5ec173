//! Reads a recorded progress stream through the async adapter and prints the one-line summary,
//! exactly as `pullstream --json FILE` prints it, with the same exit code (0 success, 1 failed,
//! 2 incomplete, 3 not a progress stream).
//!
//! ```text
//! cargo run -p pullstream --example async_pull --features stream -- FILE
//! ```
//!
//! The file stands in for an HTTP body: any `Stream<Item = Result<B, E>>` of byte chunks
//! (hyper's, reqwest's `bytes_stream()`, bollard's raw bodies) goes where `FileChunks` goes.
//! Unlike the command-line tool, it reads a body only, not a whole HTTP response.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use pullstream::stream::{OwnedItem, PullStream};
use pullstream::summary::Summary;
use tokio::io::{AsyncRead, ReadBuf};

/// How much of the file one chunk holds (the command-line tool reads 64 KiB at a time).
const CHUNK_SIZE: usize = 64 << 10;

/// A file as a stream of byte chunks, as an HTTP client hands out a response body.
struct FileChunks {
    file: tokio::fs::File,
    buffer: Box<[u8]>,
}

impl Stream for FileChunks {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut read = ReadBuf::new(&mut this.buffer);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Some(Err(error))),
            Poll::Ready(Ok(())) if read.filled().is_empty() => Poll::Ready(None),
            Poll::Ready(Ok(())) => Poll::Ready(Some(Ok(read.filled().to_vec()))),
        }
    }
}

/// The summary the command-line tool gives for `path`, and its exit code.
async fn summarize(path: &Path) -> (Summary, i32) {
    let (mut summary, read_error) = match tokio::fs::File::open(path).await {
        Ok(file) => {
            let chunks = FileChunks {
                file,
                buffer: vec![0; CHUNK_SIZE].into_boxed_slice(),
            };
            let mut items = PullStream::new(chunks);
            let mut finished = None;
            while let Some(item) = next(&mut items).await {
                match item {
                    OwnedItem::Event(event) if event.kind == "error" => {
                        if let Some(error) = &event.error {
                            eprintln!("daemon error: {}", error.message);
                        }
                    }
                    OwnedItem::Finished(end) => finished = Some(end),
                    _ => {}
                }
            }
            // The adapter always ends with `Finished`.
            let finished = finished.expect("the adapter ends with Finished");
            (finished.summary, finished.transport_error)
        }
        // Like the command-line tool, a file that cannot be opened is an input that could not
        // be read before any record.
        Err(error) => (
            pullstream::pipeline::Pipeline::new().summary(),
            Some(error.to_string()),
        ),
    };
    if let Some(error) = read_error {
        eprintln!("cannot read {}: {error}", path.display());
        // The command-line tool's rule: an input unreadable before any record is not a
        // progress stream; after one, a cut stream (the adapter already said truncated_body).
        if summary.records == 0 {
            summary.set_not_a_progress_stream();
        }
    }
    let code = summary.exit_code();
    (summary, code)
}

/// The next item of a stream (what `StreamExt::next` does, without the `futures` crate).
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: async_pull FILE");
        std::process::exit(64);
    };
    let (summary, code) = summarize(Path::new(&path)).await;
    println!("{}", summary.to_json());
    std::process::exit(code);
}
