//! Reading a PDF back with tools nobody here wrote: poppler's `pdftotext`,
//! `pdffonts`, `pdfinfo` and `pdftoppm`, and zbar's `zbarimg` for a QR code
//! (make deps installs poppler-utils and zbar-tools).

use std::path::PathBuf;
use std::process::Command;

/// A PDF kept on disk under target/rendered/ for the tools (and a person) to read.
pub struct PdfFile {
    path: PathBuf,
}

impl PdfFile {
    pub fn write(name: &str, pdf: &[u8]) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/rendered");
        std::fs::create_dir_all(&dir).expect("target/rendered");
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, pdf).expect("write the PDF");
        Self { path }
    }

    pub fn text(&self) -> String {
        run("pdftotext", &[self.path(), "-"])
    }

    pub fn fonts(&self) -> String {
        run("pdffonts", &[self.path()])
    }

    pub fn pages(&self) -> usize {
        let info = run("pdfinfo", &[self.path()]);
        let pages = info.lines().find_map(|line| line.strip_prefix("Pages:")).expect("pdfinfo names the pages");
        pages.trim().parse().expect("a page count")
    }

    /// The first page as a PNG beside the PDF; its path.
    pub fn first_page_png(&self) -> PathBuf {
        let stem = self.path.with_extension("");
        run("pdftoppm", &["-png", "-r", "110", "-singlefile", "-f", "1", self.path(), stem.to_str().unwrap()]);
        stem.with_extension("png")
    }

    /// What the QR codes of the first page say.
    pub fn qr_codes(&self) -> String {
        let png = self.first_page_png();
        run("zbarimg", &["--quiet", "--raw", png.to_str().unwrap()]).trim().to_owned()
    }

    fn path(&self) -> &str {
        self.path.to_str().expect("a UTF-8 path")
    }
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e} (make deps)"));
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether a font of `family` is embedded: in `pdffonts`' table a line
/// ends with the columns `emb sub uni object generation`.
pub fn embeds(fonts: &str, family: &str) -> bool {
    fonts.lines().filter(|line| line.contains(family)).any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words.len() > 5 && words[words.len() - 5] == "yes"
    })
}
