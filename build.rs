//! Rebuild when a migration is added or edited: `sqlx::migrate!` embeds them at compile time,
//! and stable Rust does not track the folder on its own.

fn main() {
    println!("cargo:rerun-if-changed=src/store/migrations");
}
