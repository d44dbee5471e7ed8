def test_me(client, admin_a, tenant_a):
    r = client.get(f"/api/v1/t/{tenant_a.slug}/me", headers=admin_a.headers)
    assert r.status_code == 200, r.json
    assert r.json["principal"]["email"] == admin_a.principal.email
