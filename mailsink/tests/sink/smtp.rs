//! The SMTP conversation: a message accepted and stored, dot-unstuffing, the order of commands,
//! syntax, the size and line limits, pipelining and authentication.

use crate::support::{Sink, mail};

#[tokio::test]
async fn a_message_sent_over_smtp_is_stored_with_its_envelope_headers_and_text() {
    let sink = Sink::start().await;
    let mut client = sink.connect().await;
    let extensions = client.expect("EHLO client.test", 250).await;
    assert_eq!(extensions[0], "localhost greets client.test");
    assert!(
        extensions.contains(&"8BITMIME".to_owned()),
        "{extensions:?}"
    );
    assert!(
        extensions.contains(&"PIPELINING".to_owned()),
        "{extensions:?}"
    );
    assert!(
        extensions.iter().any(|e| e.starts_with("SIZE ")),
        "{extensions:?}"
    );
    assert!(
        !extensions.iter().any(|e| e.starts_with("AUTH")),
        "no user, no AUTH"
    );

    let data = mail(
        "Alice <alice@example.test>",
        "Verify your email",
        "Hi Alice,\r\nwelcome.\r\n",
    );
    let code = client
        .send(
            "mail@copytrade.test",
            &["alice@example.test", "bcc@example.test"],
            &data,
        )
        .await;
    assert_eq!(code, 250);
    client.expect("QUIT", 221).await;
    client.expect_closed().await;

    let messages = sink.messages("").await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert_eq!(message["id"], 1);
    assert_eq!(message["helo"], "client.test");
    assert_eq!(message["mail_from"], "mail@copytrade.test");
    assert_eq!(
        message["rcpt_to"],
        serde_json::json!(["alice@example.test", "bcc@example.test"])
    );
    assert_eq!(message["subject"], "Verify your email");
    assert_eq!(message["from"], "CopyTrade <mail@copytrade.test>");
    assert_eq!(message["to"], "Alice <alice@example.test>");
    assert_eq!(message["text"], "Hi Alice,\nwelcome.\n");
    assert_eq!(message["raw"], data.as_str());
    assert_eq!(message["size"], data.len());
    assert!(
        message["received_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

#[tokio::test]
async fn several_messages_go_over_one_connection_and_helo_works_too() {
    let sink = Sink::start().await;
    let mut client = sink.connect().await;
    let greeting = client.expect("HELO old.client.test", 250).await;
    assert_eq!(greeting, vec!["localhost"]);
    for n in 1..=3 {
        let data = mail("bob@example.test", &format!("Notice {n}"), "text\r\n");
        assert_eq!(client.send("", &["bob@example.test"], &data).await, 250);
    }
    let subjects: Vec<_> = sink
        .messages("")
        .await
        .iter()
        .map(|m| m["subject"].clone())
        .collect();
    assert_eq!(subjects, ["Notice 1", "Notice 2", "Notice 3"]);
    assert_eq!(
        sink.messages("").await[0]["mail_from"],
        "",
        "the null reverse path"
    );
}

#[tokio::test]
async fn leading_dots_are_removed_and_only_crlf_dot_crlf_ends_the_data() {
    let sink = Sink::start().await;
    let mut client = sink.ehlo().await;
    client.expect("MAIL FROM:<a@copytrade.test>", 250).await;
    client.expect("RCPT TO:<b@example.test>", 250).await;
    client.expect("DATA", 354).await;
    // A client stuffs lines starting with a dot; a dot after a bare LF is no end of data, so
    // the MAIL behind it is text, not a second transaction.
    client
        .write(b"Subject: dots\r\n\r\n..leading dot\r\n...\r\nbare\n.\r\nMAIL FROM:<x@evil.test>\r\n.\r\n")
        .await;
    assert_eq!(client.reply().await.0, 250);
    client.expect("NOOP", 250).await;

    let messages = sink.messages("").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0]["raw"],
        "Subject: dots\r\n\r\n.leading dot\r\n..\r\nbare\n\r\nMAIL FROM:<x@evil.test>\r\n"
    );
}

#[tokio::test]
async fn commands_out_of_order_get_503_and_the_session_goes_on() {
    let sink = Sink::start().await;
    let mut client = sink.connect().await;
    client.expect("MAIL FROM:<a@copytrade.test>", 503).await;
    client.expect("EHLO client.test", 250).await;
    client.expect("RCPT TO:<b@example.test>", 503).await;
    client.expect("DATA", 503).await;
    client.expect("MAIL FROM:<a@copytrade.test>", 250).await;
    client.expect("MAIL FROM:<a@copytrade.test>", 503).await;
    client.expect("DATA", 554).await;
    // RSET, and EHLO too, end the transaction.
    client.expect("RSET", 250).await;
    client.expect("RCPT TO:<b@example.test>", 503).await;
    client.expect("MAIL FROM:<a@copytrade.test>", 250).await;
    client.expect("EHLO client.test", 250).await;
    client.expect("RCPT TO:<b@example.test>", 503).await;

    client.expect("VRFY alice", 252).await;
    client.expect("NOOP", 250).await;
    client.expect("EXPN staff", 502).await;
    client.expect("STARTTLS", 502).await;
    client.expect("FROB", 500).await;
    let data = mail("b@example.test", "still fine", "ok\r\n");
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );
    assert_eq!(sink.messages("").await.len(), 1);
}

#[tokio::test]
async fn malformed_arguments_get_501_and_unknown_parameters_555() {
    let sink = Sink::start().await;
    let mut client = sink.connect().await;
    client.expect("EHLO", 501).await;
    client.expect("EHLO client.test", 250).await;
    client.expect("MAIL FROM:a@copytrade.test", 501).await;
    client.expect("MAIL TO:<a@copytrade.test>", 501).await;
    client
        .expect("MAIL FROM:<a@copytrade.test> SIZE=many", 501)
        .await;
    client
        .expect("MAIL FROM:<a@copytrade.test> SMTPUTF8", 555)
        .await;
    client
        .expect("MAIL FROM:<a@copytrade.test> BODY=8BITMIME SIZE=100", 250)
        .await;
    client.expect("RCPT TO:<>", 501).await;
    client.expect("RCPT TO:<nobody>", 501).await;
    client
        .expect("RCPT TO:<b@example.test> NOTIFY=NEVER", 555)
        .await;
    client.expect("RCPT TO:<postmaster>", 250).await;
    client.expect("DATA now", 501).await;
    client.expect("VRFY", 501).await;
}

#[tokio::test]
async fn a_message_over_the_size_cap_gets_552_and_is_not_stored() {
    let sink = Sink::start_with(&["--max-size", "1024"]).await;
    let mut client = sink.connect().await;
    let extensions = client.expect("EHLO client.test", 250).await;
    assert!(
        extensions.contains(&"SIZE 1024".to_owned()),
        "{extensions:?}"
    );
    // Declared too big: refused before any data.
    client
        .expect("MAIL FROM:<a@copytrade.test> SIZE=5000", 552)
        .await;

    let big = mail("b@example.test", "big", &"0123456789abcdef\r\n".repeat(100));
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &big)
            .await,
        552
    );
    let small = mail("b@example.test", "small", "fits\r\n");
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &small)
            .await,
        250
    );

    let messages = sink.messages("").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["subject"], "small");
}

#[tokio::test]
async fn over_long_lines_get_500_and_the_session_goes_on() {
    let sink = Sink::start().await;
    let mut client = sink.ehlo().await;
    // 512 octets with CRLF is the longest command line.
    let longest = format!("NOOP {}", "x".repeat(512 - 7));
    client.expect(&longest, 250).await;
    client.expect(&format!("{longest}x"), 500).await;

    // 1000 octets with CRLF is the longest text line.
    let fits = format!("{}\r\n", "y".repeat(998));
    let long = mail(
        "b@example.test",
        "long",
        &format!("{}\r\n", "z".repeat(999)),
    );
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &long)
            .await,
        500
    );
    let ok = mail("b@example.test", "ok", &fits);
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &ok)
            .await,
        250
    );
    let messages = sink.messages("").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["subject"], "ok");
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let sink = Sink::start().await;
    let mut client = sink.ehlo().await;
    client
        .write(b"MAIL FROM:<a@copytrade.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<nobody>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n")
        .await;
    let codes = [
        client.reply().await.0,
        client.reply().await.0,
        client.reply().await.0,
        client.reply().await.0,
        client.reply().await.0,
    ];
    assert_eq!(codes, [250, 250, 501, 250, 354]);
    client
        .write(b"Subject: piped\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        .await;
    assert_eq!(client.reply().await.0, 250);
    assert_eq!(client.reply().await.0, 221);
    let messages = sink.messages("").await;
    assert_eq!(
        messages[0]["rcpt_to"],
        serde_json::json!(["b@example.test", "c@example.test"])
    );
}

#[tokio::test]
async fn past_100_recipients_the_server_answers_452() {
    let sink = Sink::start().await;
    let mut client = sink.ehlo().await;
    client.expect("MAIL FROM:<a@copytrade.test>", 250).await;
    for n in 0..100 {
        client
            .expect(&format!("RCPT TO:<user{n}@example.test>"), 250)
            .await;
    }
    client
        .expect("RCPT TO:<one-too-many@example.test>", 452)
        .await;
    client.expect("DATA", 354).await;
    client.write(b"Subject: many\r\n\r\n.\r\n").await;
    assert_eq!(client.reply().await.0, 250);
    let messages = sink.messages("").await;
    assert_eq!(messages[0]["rcpt_to"].as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn with_a_user_set_mail_needs_auth_and_wrong_credentials_get_535() {
    let sink = Sink::start_with(&["--auth", "mailer:s3cret pass"]).await;
    let mut client = sink.connect().await;
    client
        .expect("AUTH PLAIN AG1haWxlcgBzM2NyZXQgcGFzcw==", 503)
        .await;
    let extensions = client.expect("EHLO client.test", 250).await;
    assert!(
        extensions.contains(&"AUTH PLAIN LOGIN".to_owned()),
        "{extensions:?}"
    );
    client.expect("MAIL FROM:<a@copytrade.test>", 530).await;
    // "\0mailer\0wrong"
    client.expect("AUTH PLAIN AG1haWxlcgB3cm9uZw==", 535).await;
    client.expect("AUTH CRAM-MD5", 504).await;
    client.expect("AUTH PLAIN not-base64!", 501).await;
    // LOGIN, with a cancel first.
    assert_eq!(client.expect("AUTH LOGIN", 334).await, vec!["VXNlcm5hbWU6"]);
    client.expect("*", 501).await;
    client.expect("AUTH LOGIN", 334).await;
    assert_eq!(client.expect("bWFpbGVy", 334).await, vec!["UGFzc3dvcmQ6"]);
    client.expect("czNjcmV0IHBhc3M=", 235).await;
    client.expect("AUTH LOGIN", 503).await;
    let data = mail("b@example.test", "authenticated", "hi\r\n");
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );

    // PLAIN with the initial response, as lettre sends it: "\0mailer\0s3cret pass".
    let mut second = sink.ehlo().await;
    second
        .expect("AUTH PLAIN AG1haWxlcgBzM2NyZXQgcGFzcw==", 235)
        .await;
    // PLAIN after an empty challenge, acting for someone else: refused.
    let mut third = sink.ehlo().await;
    third.expect("AUTH PLAIN", 334).await;
    // "boss\0mailer\0s3cret pass"
    third.expect("Ym9zcwBtYWlsZXIAczNjcmV0IHBhc3M=", 535).await;

    let messages = sink.messages("").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["auth_user"], "mailer");
}

#[tokio::test]
async fn without_a_user_auth_is_not_offered() {
    let sink = Sink::start().await;
    let mut client = sink.ehlo().await;
    client.expect("AUTH PLAIN AG1haWxlcgBzM2NyZXQ=", 502).await;
    let data = mail("b@example.test", "open", "hi\r\n");
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );
    assert_eq!(
        sink.messages("").await[0]["auth_user"],
        serde_json::Value::Null
    );
}
