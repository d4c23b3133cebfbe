//! The Hikae desktop shell (Tauri 2). It arrives with the desktop-app issue; until then this
//! workspace member only holds its place so the layout is final. Use the `hikae` CLI.

fn main() {
    eprintln!(
        "The Hikae desktop app is not built yet. Use the `hikae` command line (see README.md)."
    );
    std::process::exit(2);
}
