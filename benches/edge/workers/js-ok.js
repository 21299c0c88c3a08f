// Floor: the cheapest JS webhook worker workerd can run: reads the body (a server that
// does not drain a POST body has its keep-alive connection reset) and returns "ok".
export default {
  async fetch(request) {
    await request.arrayBuffer();
    return new Response('ok');
  },
};
