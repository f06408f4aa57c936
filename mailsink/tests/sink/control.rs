//! The control API: listing (all, by recipient, waiting for arrivals), clearing, and what the
//! listing shows of a MIME message as mail libraries write it.

use std::time::Duration;

use serde_json::json;

use crate::support::{Sink, mail};

#[tokio::test]
async fn messages_are_listed_oldest_first_filtered_by_recipient_and_cleared() {
    let sink = Sink::start().await;
    let mut client = sink.ehlo().await;
    let first = mail("alice@example.test", "one", "1\r\n");
    let second = mail("bob@example.test", "two", "2\r\n");
    let third = mail("alice@example.test", "three", "3\r\n");
    client
        .send("m@copytrade.test", &["alice@example.test"], &first)
        .await;
    client
        .send("m@copytrade.test", &["bob@example.test"], &second)
        .await;
    client
        .send(
            "m@copytrade.test",
            &["carol@example.test", "Alice@Example.test"],
            &third,
        )
        .await;

    let subjects = |messages: Vec<serde_json::Value>| -> Vec<String> {
        messages
            .iter()
            .map(|m| m["subject"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(subjects(sink.messages("").await), ["one", "two", "three"]);
    assert_eq!(
        subjects(sink.messages("?to=alice@example.test").await),
        ["one", "three"],
        "the envelope recipient, in any case"
    );
    assert_eq!(
        subjects(sink.messages("?to=bob@example.test").await),
        ["two"]
    );
    assert!(sink.messages("?to=nobody@example.test").await.is_empty());

    let (status, body) = sink.call("DELETE", "/messages", None).await;
    assert_eq!((status, body), (200, json!({"deleted": 3})));
    assert!(sink.messages("").await.is_empty());
    // Ids keep counting after a clear.
    client
        .send("m@copytrade.test", &["bob@example.test"], &second)
        .await;
    assert_eq!(sink.messages("").await[0]["id"], 4);
}

#[tokio::test]
async fn a_reader_with_min_waits_for_the_message_to_arrive() {
    let sink = Sink::start().await;
    // Nothing arrives: the wait ends at its timeout with what there is.
    assert!(
        sink.messages("?to=alice@example.test&min=1&timeout_ms=100")
            .await
            .is_empty()
    );

    let sink = std::sync::Arc::new(sink);
    let waiting = tokio::spawn({
        let sink = sink.clone();
        async move {
            sink.messages("?to=alice@example.test&min=1&timeout_ms=30000")
                .await
        }
    });
    let mut client = sink.ehlo().await;
    let other = mail("bob@example.test", "not this", "x\r\n");
    client
        .send("m@copytrade.test", &["bob@example.test"], &other)
        .await;
    let wanted = mail("alice@example.test", "this one", "x\r\n");
    client
        .send("m@copytrade.test", &["alice@example.test"], &wanted)
        .await;
    let found = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the waiting reader answers once the message is there")
        .expect("the reader task");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["subject"], "this one");
}

#[tokio::test]
async fn a_multipart_alternative_message_shows_its_decoded_text_and_subject() {
    let sink = Sink::start().await;
    let mut client = sink.ehlo().await;
    // As lettre writes a text + HTML mail: encoded subject, quoted-printable text part. The
    // line break before a boundary belongs to the boundary, so the text ends without one.
    let data = "From: CopyTrade <mail@copytrade.test>\r\n\
        To: alice@example.test\r\n\
        Subject: =?utf-8?b?UmVzZXQgeW91ciBwYXNzd29yZCDigJQgQ29weVRyYWRl?=\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/alternative;\r\n boundary=\"XyZ123\"\r\n\r\n\
        --XyZ123\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\r\n\
        Open https://copytrade.test/reset-password?token=3Dq1w2e3r4t5y6u7i8o9p0a=\r\n\
        sdfghjkl within 30 minutes =E2=80=94 once.\r\n\
        --XyZ123\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        Content-Transfer-Encoding: 7bit\r\n\r\n\
        <p>Open the link</p>\r\n\
        --XyZ123--\r\n";
    assert_eq!(
        client
            .send("mail@copytrade.test", &["alice@example.test"], data)
            .await,
        250
    );
    let message = &sink.messages("?to=alice@example.test").await[0];
    assert_eq!(message["subject"], "Reset your password — CopyTrade");
    assert_eq!(message["content_type"], "multipart/alternative");
    assert_eq!(
        message["text"],
        "Open https://copytrade.test/reset-password?token=q1w2e3r4t5y6u7i8o9p0asdfghjkl \
         within 30 minutes — once."
    );
    let headers = message["headers"].as_array().expect("the header list");
    assert!(
        headers.contains(&json!({"name": "MIME-Version", "value": "1.0"})),
        "{headers:?}"
    );
}
