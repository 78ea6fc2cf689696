//! Runs `examples/jaeger_remote.rs` and checks that the center's change arrives: the
//! thresholds each operation's sampled spans carry, before and after, and the counts that do
//! not depend on chance (rate 1: all; rate 0: none).

#[allow(dead_code)]
#[path = "../examples/jaeger_remote.rs"]
mod jaeger_remote;

use jaeger_remote::{Line, CHANGE_AFTER, SECONDS, SPANS};

fn line<'a>(lines: &'a [Line], second: u32, operation: &str) -> &'a Line {
    lines
        .iter()
        .find(|l| l.second == second && l.operation == operation)
        .unwrap_or_else(|| panic!("no line for {operation} in second {second}: {lines:?}"))
}

fn ot(line: &Line) -> Vec<&str> {
    line.ot.iter().map(String::as_str).collect()
}

#[test]
fn the_centers_change_arrives_within_a_second() {
    let mut printed = Vec::new();
    let lines = jaeger_remote::run(|text| printed.push(text.to_owned()));
    let all = printed.join("\n");
    assert_eq!(lines.len(), SECONDS as usize * 3, "{all}");

    for second in 1..=CHANGE_AFTER {
        // The first strategy: checkout 0.5 (th:8), search 0.1, the rest 0.25 (th:c).
        assert_eq!(ot(line(&lines, second, "checkout")), ["th:8"], "{all}");
        assert_eq!(ot(line(&lines, second, "browse")), ["th:c"], "{all}");
        let search = ot(line(&lines, second, "search"));
        assert!(
            search.len() == 1 && search[0].starts_with("th:e66"),
            "{all}"
        );
    }
    for second in CHANGE_AFTER + 1..=SECONDS {
        // The second: every checkout (th:0), no search, the rest at 1/16 (th:f).
        let checkout = line(&lines, second, "checkout");
        assert_eq!(
            (checkout.sampled, ot(checkout)),
            (SPANS, vec!["th:0"]),
            "{all}"
        );
        assert_eq!(line(&lines, second, "search").sampled, 0, "{all}");
        assert_eq!(ot(line(&lines, second, "browse")), ["th:f"], "{all}");
    }
    assert!(
        all.ends_with("a child of a sampled checkout is sampled too: true"),
        "{all}"
    );
}

/// The README's "Sampling set from the center" YAML builds the sampler of the Rust beside it.
#[test]
fn the_readme_yaml_is_the_readme_rust() {
    use tctx::sampler::{ComposableProbability, JaegerRemote, ParentBased, SamplerDescription};

    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme
        .find("### Sampling set from the center")
        .expect("the section")..];
    let start = section.find("```yaml\n").expect("its YAML") + "```yaml\n".len();
    let yaml = &section[start..start + section[start..].find("```").unwrap()];
    let config = tctx::config::Config::from_yaml_str(yaml).unwrap();
    // A port where nothing answers: neither sampler gets a strategy during the test.
    let rust = ParentBased::new(
        JaegerRemote::builder("checkout")
            .with_endpoint("http://localhost:5778/sampling")
            .with_polling_interval(std::time::Duration::from_secs(60))
            .with_initial_sampler(ComposableProbability::new(0.001).unwrap())
            .build()
            .unwrap(),
    );
    assert_eq!(config.sampler().description(), rust.description());
}
