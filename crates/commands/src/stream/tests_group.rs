use crate::testing::TestClient;
