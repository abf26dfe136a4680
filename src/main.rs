fn main() -> std::process::ExitCode {
    interlock::run(std::env::args_os().collect())
}
